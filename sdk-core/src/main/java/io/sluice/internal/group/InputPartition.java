package io.sluice.internal.group;

import io.micrometer.core.instrument.Counter;
import io.sluice.internal.Partitions;
import io.sluice.source.BadRecordPolicy;
import org.apache.pulsar.client.api.MessageId;

/**
 * The processing side of one input partition: what its records are routed by (source, state scope),
 * its watermark clock and its last processed position. The source side ({@code SourcePartition})
 * creates it and sets {@link #stateScope} and the records counter before the partition's first
 * record is published, and again only while the fetchers are paused; everything else is written by
 * the processing thread of the group that processes the partition.
 */
public final class InputPartition {
  final int sourceIndex;
  final String topic;
  final String baseTopic;
  final int partitionIndex;
  final BadRecordPolicy badRecordPolicy;
  final long outOfOrdernessMillis;
  final long idleTimeoutNanos;
  final long createdNanos = System.nanoTime();

  /** The keyed-state scope of this partition's records: its topic when topic-scoped, else empty. */
  volatile byte[] stateScope = new byte[0];

  volatile long lastPublishTime;
  volatile Counter recordsIn;

  // watermark clock: written and read by the processing thread only
  long maxEventTime = Long.MIN_VALUE;
  long lastRecordNanos;
  boolean clockRestored;

  /**
   * The last position processed, held here by the group that processed it ({@code positionOwner})
   * so the processing thread needs no map lookup per record; only that group's thread touches
   * these. A group that does not own it reads its own restored copy instead.
   */
  GroupCore positionOwner;

  MessageId position;

  /** {@link #position}'s fields (see {@link RecordBatch#compareWithPosition}). */
  long positionLedger;

  long positionEntry;
  int positionPartition;
  int positionBatch;

  public InputPartition(
      int sourceIndex,
      String topic,
      BadRecordPolicy badRecordPolicy,
      long outOfOrdernessMillis,
      long idleTimeoutNanos) {
    this.sourceIndex = sourceIndex;
    this.topic = topic;
    this.baseTopic = Partitions.baseOf(topic);
    this.partitionIndex = Partitions.indexOf(topic);
    this.badRecordPolicy = badRecordPolicy;
    this.outOfOrdernessMillis = outOfOrdernessMillis;
    this.idleTimeoutNanos = idleTimeoutNanos;
  }

  /** The index of the source (stream) this partition is read for. */
  public int sourceIndex() {
    return sourceIndex;
  }

  public String topic() {
    return topic;
  }

  public String baseTopic() {
    return baseTopic;
  }

  /** Publish time of the last processed record (epoch ms), 0 before the first. */
  public long lastPublishTime() {
    return lastPublishTime;
  }

  public void setStateScope(byte[] scope) {
    this.stateScope = scope;
  }

  public void setRecordsCounter(Counter counter) {
    this.recordsIn = counter;
  }

  @Override
  public String toString() {
    return topic;
  }
}
