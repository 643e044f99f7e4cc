package io.sluice.internal;

import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.MessageId;

/** A slot of a slot group's ring: a message from a partition, or a checkpoint barrier. */
final class RingEvent {
  static final int RECORD = 1;
  static final int BARRIER = 2;
  static final int TICK = 3;

  int kind;

  /**
   * The record's message id and publish time, read by the fetcher (the processing thread then does
   * not touch the message itself, which the client's threads wrote).
   */
  MessageId id;

  long publishTime;
  PartitionRef partition;

  /** The decoded value, when the source has a decoder (decoded on the reader thread). */
  Object decoded;

  /** Why decoding failed, or null. */
  Throwable decodeError;

  long checkpointId;
  long eventTime;
  CompletableFuture<GroupSnapshot> snapshot;

  void clear() {
    kind = 0;
    id = null;
    partition = null;
    decoded = null;
    decodeError = null;
    snapshot = null;
  }
}
