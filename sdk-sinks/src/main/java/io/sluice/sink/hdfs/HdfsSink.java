package io.sluice.sink.hdfs;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.RetryingSinkBuilder;
import io.sluice.sink.hdfs.internal.HdfsSinkCommitter;
import io.sluice.sink.hdfs.internal.HdfsSinkSettings;
import io.sluice.sink.hdfs.internal.HdfsSinkWriter;
import io.sluice.sink.hdfs.internal.LinesFormat;
import io.sluice.sink.hdfs.internal.ParquetPartFormat;
import io.sluice.sink.hdfs.internal.PartFormat;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b>
 *
 * <pre>
 *  write ─▶ &lt;bucket&gt;/.part-&lt;batch&gt;-&lt;n&gt;.&lt;ext&gt;.inprogress  (hidden; readers skip dot files)
 *  barrier: finish (footer), hsync + close every file; the committable (batch id + the files'
 *           names) goes into the checkpoint, which completes only after all of this
 *  checkpoint durable ─▶ rename each file to &lt;bucket&gt;/part-&lt;batch&gt;-&lt;n&gt;.&lt;ext&gt;
 * </pre>
 *
 * The barrier's file work runs on a small finisher pool per writer, so the processing thread goes
 * on with the next batch at once; {@code prepareCommit}'s future completes when the batch's files
 * are durable. The names travel in the local checkpoint (relative to the base path, one line per
 * file), so a batch costs the file system what a plain writer's files cost plus one rename each.
 *
 * <p><b>Rolling and formats.</b> A part file is closed (synced) when it reaches {@link
 * Builder#maxPartSize}, when its bucket gets a record after {@link Builder#maxPartAge}, and always
 * at a checkpoint; a batch may hold several parts per bucket. Files are JSON lines ({@link
 * Builder#lines}), optionally gzip-compressed ({@link Builder#gzip}, {@code .jsonl.gz}: one gzip
 * member per file), or Parquet ({@link Builder#parquet}, {@code .parquet}; see {@link
 * ParquetFormat}). File names hold the writer, a random token per writer instance and the batch
 * number, so they are unique per writer and checkpoint.
 *
 * <p><b>Closing files on HDFS.</b> Every checkpoint closes the batch's part files (off the
 * processing thread). An HDFS client whose close races the datanode's report of the last block
 * waits before asking the name node again, 400 ms at first by default; with short checkpoint
 * intervals that wait can dominate. Lowering {@code
 * dfs.client.block.write.locateFollowingBlock.initial.delay.ms} (and raising {@code ...retries}, so
 * the total wait stays long) in the {@link Builder#configuration} avoids it; the benchmark and
 * tests use 10 ms and 12 retries.
 *
 * <p><b>Bad records and outages.</b> A record whose mapping throws, returns null, gives a line with
 * a line break or a Parquet value that does not fit its column goes to {@link
 * SinkContext#badRecord} (counted and skipped with the app's policy SKIP, fatal with FAIL). File
 * system calls are retried with backoff for up to {@link Builder#retryTimeout} (default 60 s) while
 * the calling thread waits (backpressure); a batch whose files still cannot be made durable fails
 * its {@code prepareCommit} future, and with it the app, which recovers from its last complete
 * checkpoint. A part whose write pipeline broke (data node or name node down) cannot take more
 * bytes, and what was handed to it may be lost; the writer keeps each open part's bytes in memory
 * and writes them again into a new part file once HDFS answers, then deletes the broken one.
 * Commits are retried by the runtime until they succeed.
 *
 * <p>A batch's id is registered as pending in the local state store before its first file is
 * created (the runtime matches it with the committable through {@code Committer#pendingHandleOf}).
 * Rename is atomic and a renamed file is recognised by its final name, so a replayed commit renames
 * only what is left. Recovery re-commits the restored checkpoint's batches and aborts newer ones:
 * their hidden files are found by name and deleted.
 *
 * <p><b>Metrics.</b> Besides the records written, {@code sluice.sink.bytes} counts each part file's
 * bytes (compressed, as stored) once the file is durably closed.
 *
 * <p><b>Limits.</b> Readers must ignore files starting with a dot (Hadoop and Hive tools do). Local
 * paths are written with plain Java file channels (Hadoop's raw local file system forks {@code
 * chmod} for every file it creates when its native library is missing) and read, renamed and
 * deleted through the raw local file system; no .crc files are written. Each checkpoint holds the
 * names of the files its batches wrote (about 60 bytes each), so a checkpoint interval that sees
 * thousands of buckets makes checkpoints of some hundred kilobytes.
 */
public final class HdfsSink<T> implements Sink<T> {
  private static final DateTimeFormatter HOUR =
      DateTimeFormatter.ofPattern("yyyy-MM-dd/HH").withZone(ZoneOffset.UTC);

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
    return new ParquetPartFormat<T>(f.name(), f.columns(), f.compression(), f.rowGroupSize(), conf);
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
      Objects.requireNonNull(epochMillis, "epochMillis must not be null");
      return bucket(
          r ->
              topic.apply(r).replaceFirst("^[a-z]+://", "").replace('/', '_')
                  + "/"
                  + HOUR.format(Instant.ofEpochMilli(epochMillis.applyAsLong(r))));
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
              retryBackoff()));
    }
  }
}
