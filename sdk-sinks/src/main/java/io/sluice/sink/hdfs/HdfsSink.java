package io.sluice.sink.hdfs;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.RetryingSinkBuilder;
import io.sluice.sink.hdfs.internal.HdfsSinkCommitter;
import io.sluice.sink.hdfs.internal.HdfsSinkSettings;
import io.sluice.sink.hdfs.internal.HdfsSinkWriter;
import io.sluice.sink.hdfs.internal.LinesFormat;
import io.sluice.sink.hdfs.internal.PartFormat;
import io.sluice.sink.hdfs.internal.PartitionCommit;
import io.sluice.sink.hdfs.internal.TimeBuckets;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.hadoop.conf.Configuration;

/**
 * Writes records as JSON lines or Parquet into files on HDFS (or the local file system) exactly
 * once, one directory per bucket (e.g. topic/date/hour).
 *
 * <pre>{@code
 * HdfsSink<Order> sink = HdfsSink.<Order>builder()
 *     .basePath("hdfs://namenode:8020/data/orders")
 *     .lines(o -> json(o))                 // or .parquet(ParquetFormat.<Order>builder("order")...)
 *     .bucketByTopicAndHour(Order::topic, Order::eventTime)
 *     .build();
 * }</pre>
 *
 * <p>Time buckets ({@link Builder#bucketByTime}, e.g. Hive-style {@code topic=…/dt=…/hr=…}) can get
 * a {@code _SUCCESS} marker once a partition is complete ({@link Builder#successMarkers}), so a
 * downstream batch job knows when an hour is done.
 *
 * <p><b>Exactly once</b> under SIGKILL at any instant: output is written into hidden part files and
 * renamed into place at commit. The protocol, its hazards and how outages and bad records are
 * handled are in the package doc of {@code io.sluice.sink.hdfs.internal}.
 *
 * <p><b>Limits.</b> Readers must ignore files starting with a dot (Hadoop and Hive tools do). Local
 * paths are written with plain Java file channels (Hadoop's raw local file system forks {@code
 * chmod} for every file it creates when its native library is missing) and read, renamed and
 * deleted through the raw local file system; no .crc files are written. Each checkpoint holds the
 * names of the files its batches wrote (about 60 bytes each), so a checkpoint interval that sees
 * thousands of buckets makes checkpoints of some hundred kilobytes.
 */
public final class HdfsSink<T> implements Sink<T> {
  private final HdfsSinkSettings<T> settings;

  private HdfsSink(HdfsSinkSettings<T> settings) {
    this.settings = settings;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public SinkWriter<T> createWriter(SinkContext context) {
    Objects.requireNonNull(context, "context must not be null");
    return HdfsSinkWriter.create(settings, context);
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    Objects.requireNonNull(context, "context must not be null");
    return new HdfsSinkCommitter(settings, context);
  }

  @Override
  public String toString() {
    return "HdfsSink{" + settings.name() + " -> " + settings.base() + "}";
  }

  private static <T> PartFormat<T, ?> parquetFormat(
      ParquetFormat<? super T> f, Configuration conf) {
    return new ParquetPartFormat<T>(
        f.name(), f.columns(), f.compression(), f.rowGroupSize(), f.pageSize(), conf);
  }

  /**
   * Settings of an {@link HdfsSink}; each setter validates its value at once. Default name: {@code
   * hdfs}.
   */
  public static final class Builder<T> extends RetryingSinkBuilder<Builder<T>> {
    private URI base;
    private Configuration conf;
    private Function<? super T, String> lines;
    private ParquetFormat<? super T> parquet;
    private Function<? super T, String> bucket;
    private TimeBuckets<T> timeBuckets;
    private Duration markerOutOfOrderness;
    private Duration markerIdleTimeout;
    private Boolean gzip;
    private long maxPartSize = 64L << 20;
    private Duration maxPartAge = Duration.ofMinutes(10);

    private Builder() {}

    @Override
    protected Builder<T> self() {
      return this;
    }

    /** Gzip-compresses each JSON-lines part file ({@code part-*.jsonl.gz}); default off. */
    public Builder<T> gzip(boolean enabled) {
      if (this.gzip != null) {
        throw new ConfigException("gzip(...) was already set");
      }
      if (parquet != null) {
        throw new ConfigException(
            "gzip(...) is for JSON lines; Parquet files set their compression in ParquetFormat");
      }
      this.gzip = enabled;
      return this;
    }

    /**
     * Rolling by size: a part file is closed once it holds this many bytes (after compression) and
     * the bucket's next record starts a new one (default 64 MiB, at least 1 KiB). Until a part is
     * closed its bytes are also kept in memory, so the writer can write it again after an HDFS
     * outage: memory is bounded by this times the number of buckets written between checkpoints.
     */
    public Builder<T> maxPartSize(long bytes) {
      if (bytes < 1024) {
        throw new ConfigException(
            "Invalid value " + bytes + " for maxPartSize: must be at least 1024");
      }
      this.maxPartSize = bytes;
      return this;
    }

    /**
     * Rolling by time: a part file is closed at its bucket's next record once it is this old
     * (default 10 min). Parts are always closed at a checkpoint, too.
     */
    public Builder<T> maxPartAge(Duration age) {
      this.maxPartAge = atLeast(age, Duration.ofMillis(1), "maxPartAge");
      return this;
    }

    /** The output directory: {@code hdfs://host:port/dir}, {@code file:///dir} or {@code /dir}. */
    public Builder<T> basePath(String path) {
      Objects.requireNonNull(path, "path must not be null");
      try {
        this.base = URI.create(path);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("Invalid value " + path + " for basePath: " + e.getMessage(), e);
      }
      if (base.getPath() == null || !base.getPath().startsWith("/")) {
        throw new ConfigException(
            "Invalid value " + path + " for basePath: must be an absolute path or URI");
      }
      return this;
    }

    /** Hadoop settings (default: a new {@code Configuration}, i.e. the classpath's site files). */
    public Builder<T> configuration(Configuration conf) {
      this.conf = new Configuration(Objects.requireNonNull(conf, "conf must not be null"));
      return this;
    }

    /** Maps a record to one line of JSON (without the newline): the JSON-lines format. */
    public Builder<T> lines(Function<? super T, String> lines) {
      Objects.requireNonNull(lines, "lines must not be null");
      if (parquet != null) {
        throw new ConfigException("parquet(...) was already set: a sink writes one format");
      }
      this.lines = lines;
      return this;
    }

    /**
     * Writes Parquet files ({@code part-*.parquet}) with the columns of {@code format} instead of
     * JSON lines; see {@link ParquetFormat}.
     */
    public Builder<T> parquet(ParquetFormat<? super T> format) {
      Objects.requireNonNull(format, "format must not be null");
      if (lines != null) {
        throw new ConfigException("lines(...) was already set: a sink writes one format");
      }
      if (gzip != null) {
        throw new ConfigException(
            "gzip(...) is for JSON lines; Parquet files set their compression in ParquetFormat");
      }
      this.parquet = format;
      return this;
    }

    /** Maps a record to its sub-directory under the base path, e.g. {@code orders/2024-05-01}. */
    public Builder<T> bucket(Function<? super T, String> bucket) {
      Objects.requireNonNull(bucket, "bucket must not be null");
      if (this.bucket != null) {
        throw new ConfigException("bucket(...) or bucketByTopicAndHour(...) was already set");
      }
      this.bucket = bucket;
      return this;
    }

    /** Buckets {@code <topic>/<yyyy-MM-dd>/<HH>} (UTC) by the record's topic and time (ms). */
    public Builder<T> bucketByTopicAndHour(
        Function<? super T, String> topic, ToLongFunction<? super T> epochMillis) {
      Objects.requireNonNull(topic, "topic must not be null");
      return bucketByTime(
          r -> topic.apply(r).replaceFirst("^[a-z]+://", "").replace('/', '_'),
          epochMillis,
          Duration.ofHours(1),
          "yyyy-MM-dd/HH");
    }

    /**
     * Buckets {@code <prefix>/<partition start>} by time: the record's time (epoch ms) falls into a
     * partition of {@code length} (aligned to the epoch, UTC) whose start is formatted with the
     * {@link java.time.format.DateTimeFormatter} {@code pattern}. Hive-style hourly partitions:
     *
     * <pre>{@code
     * .bucketByTime(e -> "topic=" + e.topic(), Event::time, Duration.ofHours(1),
     *     "'dt='yyyy-MM-dd/'hr='HH")                  // topic=orders/dt=2026-12-06/hr=20
     * }</pre>
     *
     * Time buckets can get {@link #successMarkers success markers}. An empty prefix leaves the time
     * part alone.
     */
    public Builder<T> bucketByTime(
        Function<? super T, String> prefix,
        ToLongFunction<? super T> epochMillis,
        Duration length,
        String pattern) {
      Objects.requireNonNull(prefix, "prefix must not be null");
      Objects.requireNonNull(epochMillis, "epochMillis must not be null");
      Objects.requireNonNull(pattern, "pattern must not be null");
      atLeast(length, Duration.ofSeconds(1), "length");
      TimeBuckets<T> buckets;
      try {
        buckets = new TimeBuckets<>(prefix, epochMillis, length, pattern);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            "Invalid value " + pattern + " for pattern: " + e.getMessage(), e);
      }
      bucket(buckets);
      this.timeBuckets = buckets;
      return this;
    }

    /**
     * Writes {@code _SUCCESS} into a time partition (see {@link #bucketByTime}) once it is
     * complete: every writer's watermark has passed the partition's end, and every checkpoint
     * holding its records has committed. A writer's watermark is the smallest, over the prefixes
     * (series) it writes, of the largest event time written, minus {@code maxOutOfOrderness}; a
     * prefix that got nothing for {@code idleTimeout} does not hold partitions open. The marker
     * lists the partition's files. A record more out of order than the bound (or arriving after its
     * writer was idle) is still written; its partition's marker is written again, listing the new
     * file, after a later checkpoint, and a WARN names the partition.
     *
     * <p>A writer that has written nothing yet (just started, after a restart or a regroup, or in a
     * slot group without traffic) holds every partition open until {@code idleTimeout} has passed,
     * since its backlog may still hold records of open hours.
     *
     * <p>With markers on, every writer sends a small committable at every checkpoint (its
     * watermark), and after a restart the committer lists the base directory once to find the
     * partitions that have files but no marker yet.
     */
    public Builder<T> successMarkers(Duration maxOutOfOrderness, Duration idleTimeout) {
      Objects.requireNonNull(maxOutOfOrderness, "maxOutOfOrderness must not be null");
      if (markerOutOfOrderness != null) {
        throw new ConfigException("successMarkers(...) was already set");
      }
      if (maxOutOfOrderness.isNegative()) {
        throw new ConfigException(
            "Invalid value " + maxOutOfOrderness + " for maxOutOfOrderness: must not be negative");
      }
      this.markerIdleTimeout = atLeast(idleTimeout, Duration.ofSeconds(1), "idleTimeout");
      this.markerOutOfOrderness = maxOutOfOrderness;
      return this;
    }

    public HdfsSink<T> build() {
      if (base == null) {
        throw new ConfigException("HdfsSink needs an output directory: call basePath(...)");
      }
      if (lines == null && parquet == null) {
        throw new ConfigException(
            "HdfsSink needs a format: call lines(...) for JSON lines or parquet(...)");
      }
      if (bucket == null) {
        throw new ConfigException(
            "HdfsSink needs buckets: call bucket(...) or bucketByTopicAndHour(...)");
      }
      if (markerOutOfOrderness != null && timeBuckets == null) {
        throw new ConfigException(
            "successMarkers(...) needs time buckets: call bucketByTime(...) or"
                + " bucketByTopicAndHour(...) instead of bucket(...)");
      }
      Configuration c = conf != null ? conf : new Configuration();
      return new HdfsSink<>(
          new HdfsSinkSettings<>(
              nameOr("hdfs"),
              base,
              c,
              parquet != null
                  ? parquetFormat(parquet, c)
                  : new LinesFormat<T>(lines, gzip != null && gzip),
              bucket,
              maxPartSize,
              maxPartAge,
              retryTimeout(),
              retryBackoff(),
              markerOutOfOrderness == null
                  ? null
                  : new PartitionCommit<>(timeBuckets, markerOutOfOrderness, markerIdleTimeout)));
    }
  }
}
