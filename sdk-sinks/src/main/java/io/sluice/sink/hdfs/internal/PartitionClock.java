package io.sluice.sink.hdfs.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * A writer's event-time view for success markers. Each series of partitions (a bucket prefix, e.g.
 * {@code topic=orders}) has its own largest event time; the writer's watermark is the smallest of
 * them, less the out-of-orderness bound, so a series read more slowly than the others in the same
 * slot group holds its partitions open instead of turning late. A series that got no record for the
 * idle timeout stops counting; a writer whose series are all idle reports {@link
 * PartitionReport#IDLE}. Each report also names the largest event time of every series the batch
 * wrote, so the committer knows where each series' time stopped. Belongs to the writer's processing
 * thread.
 */
final class PartitionClock<T> {
  private final PartitionCommit<T> settings;
  private final Map<String, Long> written = new HashMap<>();
  private final Map<String, Series> series = new HashMap<>();
  private final long createdNanos = System.nanoTime();

  private static final class Series {
    long maxTime = Long.MIN_VALUE;
    long lastNanos;
    boolean writtenSinceReport;
  }

  PartitionClock(PartitionCommit<T> settings) {
    this.settings = settings;
  }

  void wrote(T record, String bucket) {
    long time = settings.buckets().timeOf(record);
    String prefix = settings.buckets().prefixOf(record);
    Series s = series.computeIfAbsent(prefix, p -> new Series());
    s.maxTime = Math.max(s.maxTime, time);
    s.lastNanos = System.nanoTime();
    s.writtenSinceReport = true;
    written.computeIfAbsent(bucket, b -> settings.buckets().endOf(time));
  }

  /** The report for the batch of {@code checkpoint}; starts the next batch's partitions. */
  PartitionReport report(long checkpoint) {
    long now = System.nanoTime();
    long idle = settings.idleTimeout().toNanos();
    long smallest = PartitionReport.IDLE;
    Map<String, Long> times = new HashMap<>();
    for (Map.Entry<String, Series> e : series.entrySet()) {
      Series s = e.getValue();
      if (now - s.lastNanos < idle) {
        smallest = Math.min(smallest, s.maxTime - settings.maxOutOfOrderness().toMillis());
      }
      if (s.writtenSinceReport) {
        times.put(e.getKey(), s.maxTime);
        s.writtenSinceReport = false;
      }
    }
    if (series.isEmpty() && now - createdNanos < idle) {
      smallest = Long.MIN_VALUE; // nothing written yet: hold everything open for a while
    }
    PartitionReport report = new PartitionReport(checkpoint, smallest, times, written);
    written.clear();
    return report;
  }
}
