package io.sluice.internal;

import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.Message;

/** A slot of a slot group's ring: a message from a partition, or a checkpoint barrier. */
final class RingEvent {
  static final int RECORD = 1;
  static final int BARRIER = 2;
  static final int TICK = 3;

  int kind;
  Message<byte[]> message;
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
    message = null;
    partition = null;
    decoded = null;
    decodeError = null;
    snapshot = null;
  }
}
