package io.sluice.internal;

import io.micrometer.core.instrument.Counter;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Reader;

/**
 * One partition being read: its reader (non-durable cursor), the consumer holding the durable
 * cursor, and the slot group it feeds. Created by the source manager; the processing thread reads
 * only the immutable fields and updates {@link #lastPublishTime}.
 */
public final class PartitionRef {
  final int sourceIndex;
  final String topic;
  final String baseTopic;
  final int partitionIndex;
  final String subscription;

  /** The slot group fed by this partition; changes only while the fetchers are paused. */
  volatile ProcessingGroup group;

  /**
   * The keyed-state scope of this partition's records: its topic in a topic-scoped (automatic) slot
   * group, else empty. Set before the partition is published to a group.
   */
  byte[] stateScope = new byte[0];

  final io.sluice.source.RecordDecoder<?> decoder;
  final io.sluice.source.BadRecordPolicy badRecordPolicy;
  volatile long lastPublishTime;
  volatile Counter recordsIn;
  // watermark clock: written and read by the processing thread only
  final long outOfOrdernessMillis;
  final long idleTimeoutNanos;
  final int maxRecordBytes;
  final long createdNanos = System.nanoTime();
  long maxEventTime = Long.MIN_VALUE;
  long lastRecordNanos;
  boolean clockRestored;

  /**
   * The last position processed, held here by the group that processed it ({@code positionOwner})
   * so the processing thread needs no map lookup per record; only that group's thread touches
   * these. A group that does not own it reads its own restored copy instead.
   */
  GroupCore positionOwner;

  org.apache.pulsar.client.api.MessageId position;

  /** {@link #position}'s fields (see {@link RecordBatch#compareWithPosition}). */
  long positionLedger;

  long positionEntry;
  int positionPartition;
  int positionBatch;

  /** The partition's reader: a Reader, or an {@link EntryReader} (then with its splitter). */
  volatile Reader<byte[]> reader;

  volatile EntryReader entries;
  EntrySplitter splitter;
  volatile Consumer<byte[]> cursor;

  /** The durable cursor's consumer was closed to be renewed, and its renewal failed. */
  volatile boolean cursorLost;

  PartitionRef(
      int sourceIndex,
      String topic,
      String baseTopic,
      int partitionIndex,
      String subscription,
      ProcessingGroup group,
      io.sluice.source.RecordDecoder<?> decoder,
      io.sluice.source.BadRecordPolicy badRecordPolicy,
      long outOfOrdernessMillis,
      long idleTimeoutNanos,
      int maxRecordBytes) {
    this.maxRecordBytes = maxRecordBytes;
    this.decoder = decoder;
    this.outOfOrdernessMillis = outOfOrdernessMillis;
    this.idleTimeoutNanos = idleTimeoutNanos;
    this.badRecordPolicy = badRecordPolicy;
    this.sourceIndex = sourceIndex;
    this.topic = topic;
    this.baseTopic = baseTopic;
    this.partitionIndex = partitionIndex;
    this.subscription = subscription;
    this.group = group;
  }

  /**
   * Runs the source's decoder (if any) on the calling fetcher thread. Puts what the operators get
   * into {@code values[index]}: the decoded value, or the record itself when there is no decoder or
   * decoding failed (the bad-record policy then needs the original). Returns the failure, or {@code
   * null}.
   */
  Throwable decode(io.sluice.source.SourceRecord record, Object[] values, int index) {
    values[index] = record;
    int size = record.value().length;
    if (size > maxRecordBytes) {
      return new IllegalArgumentException(
          "oversized payload: "
              + size
              + " bytes, above the source's maxRecordBytes of "
              + maxRecordBytes);
    }
    if (decoder == null) {
      return null;
    }
    try {
      Object value = decoder.decode(record);
      if (value == null) {
        return new IllegalArgumentException("the decoder returned null");
      }
      values[index] = value;
      return null;
    } catch (Exception | StackOverflowError e) {
      return e;
    }
  }

  public String topic() {
    return topic;
  }

  @Override
  public String toString() {
    return topic;
  }

  /** Closes the partition's reader, whichever kind it is (done at once if there is none). */
  java.util.concurrent.CompletableFuture<Void> closeReader() {
    if (entries != null) {
      return entries.closeAsync();
    }
    return reader != null
        ? reader.closeAsync()
        : java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  /** Splits {@code x-partition-N} into base topic and index (-1 for a non-partitioned topic). */
  static int partitionIndexOf(String topic) {
    int i = topic.lastIndexOf("-partition-");
    if (i < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(topic.substring(i + "-partition-".length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static String baseOf(String topic) {
    return partitionIndexOf(topic) < 0
        ? topic
        : topic.substring(0, topic.lastIndexOf("-partition-"));
  }
}
