package io.sluice.sink.hdfs.internal;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a writer with success markers adds to each committable, after the file names: the checkpoint
 * id, its watermark at the barrier ({@link #IDLE} when it wrote nothing for its idle timeout), the
 * largest event time of each series (bucket prefix) the batch wrote, and the time partitions the
 * batch wrote, each with its end. Every line starts with a tab, which no file name can (bucket
 * names refuse control characters):
 *
 * <pre>
 * \tcheckpoint 17
 * \twatermark 1765051200000
 * \tseries 1765055400000 topic=orders
 * \tpartition 1765054800000 topic=orders/dt=2025-12-06/hr=20
 * </pre>
 *
 * @param checkpoint the checkpoint the batch belongs to
 * @param watermark the writer's watermark (epoch ms), {@link Long#MIN_VALUE} before its first
 *     record, or {@link #IDLE}
 * @param series bucket prefix to the largest event time the batch wrote in it (epoch ms)
 * @param partitions bucket to partition end (epoch ms)
 */
record PartitionReport(
    long checkpoint, long watermark, Map<String, Long> series, Map<String, Long> partitions) {
  /** The watermark of an idle writer: it does not hold any partition open. */
  static final long IDLE = Long.MAX_VALUE;

  static final char MARK = '\t';

  PartitionReport {
    series = Map.copyOf(series);
    partitions = Map.copyOf(partitions);
  }

  String toLines() {
    StringBuilder s = new StringBuilder();
    s.append(MARK).append("checkpoint ").append(checkpoint);
    s.append('\n').append(MARK).append("watermark ").append(watermark);
    series.forEach(
        (prefix, time) ->
            s.append('\n').append(MARK).append("series ").append(time).append(' ').append(prefix));
    partitions.forEach(
        (bucket, end) ->
            s.append('\n')
                .append(MARK)
                .append("partition ")
                .append(end)
                .append(' ')
                .append(bucket));
    return s.toString();
  }

  /** The report in a committable, if its writer had success markers on. */
  static Optional<PartitionReport> of(byte[] committable) {
    String[] lines = new String(committable, StandardCharsets.UTF_8).split("\n", -1);
    long checkpoint = -1;
    long watermark = Long.MIN_VALUE;
    Map<String, Long> series = new LinkedHashMap<>(); // none in reports of earlier versions
    Map<String, Long> partitions = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.isEmpty() || line.charAt(0) != MARK) {
        continue;
      }
      String[] words = line.substring(1).split(" ", 3);
      switch (words[0]) {
        case "checkpoint" -> checkpoint = Long.parseLong(words[1]);
        case "watermark" -> watermark = Long.parseLong(words[1]);
        case "series" -> series.put(words[2], Long.parseLong(words[1]));
        case "partition" -> partitions.put(words[2], Long.parseLong(words[1]));
        default -> {
          // a line of a later version: ignored
        }
      }
    }
    return checkpoint < 0
        ? Optional.empty()
        : Optional.of(new PartitionReport(checkpoint, watermark, series, partitions));
  }
}
