package io.sluice.sink.hdfs.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Arrays;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Buckets by time: {@code <prefix>/<the start of the record's time partition, formatted>}, e.g.
 * {@code topic=orders/dt=2026-12-06/hr=20} for hourly partitions with the pattern {@code
 * 'dt='yyyy-MM-dd/'hr='HH} (UTC). Partitions are aligned to the epoch, so hours and days start on
 * the hour and at midnight UTC. Knows when each partition ends, which success markers need, both
 * from a record and from a bucket path (read back after a restart).
 *
 * @param <T> record type
 */
public final class TimeBuckets<T> implements Function<T, String> {
  private final Function<? super T, String> prefix;
  private final ToLongFunction<? super T> epochMillis;
  private final long lengthMillis;
  private final DateTimeFormatter format;
  private final int segments;

  public TimeBuckets(
      Function<? super T, String> prefix,
      ToLongFunction<? super T> epochMillis,
      Duration length,
      String pattern) {
    this.prefix = prefix;
    this.epochMillis = epochMillis;
    this.lengthMillis = length.toMillis();
    this.format =
        new DateTimeFormatterBuilder()
            .appendPattern(pattern)
            .parseDefaulting(ChronoField.HOUR_OF_DAY, 0)
            .parseDefaulting(ChronoField.MINUTE_OF_HOUR, 0)
            .toFormatter()
            .withZone(ZoneOffset.UTC);
    this.segments = pattern.replaceAll("'[^']*'", "x").split("/", -1).length;
  }

  /** The record's event time (epoch ms). */
  public long timeOf(T record) {
    return epochMillis.applyAsLong(record);
  }

  /** The end (exclusive, epoch ms) of the partition holding {@code time}. */
  public long endOf(long time) {
    return Math.floorDiv(time, lengthMillis) * lengthMillis + lengthMillis;
  }

  /** The part of the record's bucket before the time (its series, e.g. {@code topic=orders}). */
  public String prefixOf(T record) {
    String p = prefix.apply(record);
    return p == null ? "" : p;
  }

  @Override
  public String apply(T record) {
    long start = endOf(timeOf(record)) - lengthMillis;
    String p = prefix.apply(record);
    return (p == null || p.isEmpty() ? "" : p + "/") + format.format(Instant.ofEpochMilli(start));
  }

  /**
   * The end of the partition a bucket path names (its last segments parsed with the pattern), or -1
   * if the path is not one of these buckets.
   */
  public long endOf(String bucket) {
    String[] names = bucket.split("/");
    if (names.length < segments) {
      return -1;
    }
    String time =
        String.join("/", Arrays.copyOfRange(names, names.length - segments, names.length));
    try {
      LocalDateTime start = LocalDateTime.parse(time, format);
      return start.toInstant(ZoneOffset.UTC).toEpochMilli() + lengthMillis;
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
