package io.sluice.internal.group;

import java.util.concurrent.CompletableFuture;

/** A slot of a slot group's ring: a batch of one partition's records, a barrier or a tick. */
final class RingEvent {
  static final int RECORDS = 1;
  static final int BARRIER = 2;
  static final int TICK = 3;

  int kind;

  /** For {@link #RECORDS}: the records, in the partition's order. */
  RecordBatch batch;

  long checkpointId;
  CompletableFuture<GroupSnapshot> snapshot;

  void clear() {
    kind = 0;
    batch = null;
    snapshot = null;
  }
}
