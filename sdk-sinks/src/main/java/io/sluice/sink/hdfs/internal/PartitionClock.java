package io.sluice.sink.hdfs.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * A writer's event-time view for success markers: the largest event time it wrote, when it last
 * wrote, and the time partitions of the current batch. Belongs to the writer's processing thread.
 */
final class PartitionClock<T> {
  private final PartitionCommit<T> settings;
  private final Map<String, Long> written = new HashMap<>();
  private long maxEventTime = Long.MIN_VALUE;
  private long lastWriteNanos = System.nanoTime();

  PartitionClock(PartitionCommit<T> settings) {
    this.settings = settings;
  }

  void wrote(T record, String bucket) {
    long time = settings.buckets().timeOf(record);
    maxEventTime = Math.max(maxEventTime, time);
    lastWriteNanos = System.nanoTime();
    written.computeIfAbsent(bucket, b -> settings.buckets().endOf(time));
  }

  /** The report for the batch of {@code checkpoint}; starts the next batch's partitions. */
  PartitionReport report(long checkpoint) {
    long watermark;
    if (System.nanoTime() - lastWriteNanos >= settings.idleTimeout().toNanos()) {
      watermark = PartitionReport.IDLE;
    } else if (maxEventTime == Long.MIN_VALUE) {
      watermark = Long.MIN_VALUE;
    } else {
      watermark = maxEventTime - settings.maxOutOfOrderness().toMillis();
    }
    PartitionReport report = new PartitionReport(checkpoint, watermark, written);
    written.clear();
    return report;
  }
}
