package io.sluice.sink.hdfs;

import io.sluice.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.hdfs.internal.HdfsSinkCommitter;
import io.sluice.sink.hdfs.internal.HdfsSinkSettings;
import io.sluice.sink.hdfs.internal.HdfsSinkWriter;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.hadoop.conf.Configuration;

/**
 * Writes records as JSON lines into files on HDFS (or the local file system) exactly once, one
 * directory per bucket (e.g. topic/date/hour).
 *
 * <pre>{@code
 * HdfsSink<Order> sink = HdfsSink.<Order>builder()
 *     .basePath("hdfs://namenode:8020/data/orders")
 *     .lines(o -> json(o))
 *     .bucketByTopicAndHour(Order::topic, Order::eventTime)
 *     .build();
 * }</pre>
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b>
 *
 * <pre>
 *  write ─▶ &lt;bucket&gt;/.part-&lt;batch&gt;-&lt;n&gt;.inprogress        (hidden; readers skip dot files)
 *  barrier: hsync + close every file, write _sluice/&lt;sink&gt;/&lt;batch&gt; (manifest, via rename)
 *  checkpoint durable ─▶ rename each file to &lt;bucket&gt;/part-&lt;batch&gt;-&lt;n&gt;.jsonl, delete manifest
 * </pre>
 *
 * A batch is registered as pending in the local state store before its first file is created.
 * Rename is atomic and a renamed file is recognised by its final name, so a replayed commit renames
 * only what is left and then deletes the manifest (last, so a replay always finds its work).
 * Recovery re-commits the restored checkpoint's batches and aborts newer ones: their hidden files
 * are found by name and deleted.
 *
 * <p><b>Limits.</b> Readers must ignore files starting with a dot (Hadoop and Hive tools do). A
 * replayed commit of a batch whose manifest is gone lists the base directory to confirm it was
 * committed. Local paths use the raw local file system, which supports hflush and writes no .crc
 * files.
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
    return new HdfsSinkWriter<>(settings, context);
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

  /** Settings of an {@link HdfsSink}; each setter validates its value at once. */
  public static final class Builder<T> {
    private String name;
    private URI base;
    private Configuration conf;
    private Function<? super T, String> lines;
    private Function<? super T, String> bucket;

    private Builder() {}

    /** The sink's name in checkpoints (default {@code hdfs}); keep it stable. */
    public Builder<T> name(String name) {
      Objects.requireNonNull(name, "name must not be null");
      if (name.isBlank()) {
        throw new ConfigException("Invalid value '' for name: must not be blank");
      }
      this.name = name;
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

    /** Maps a record to one line of JSON (without the newline). */
    public Builder<T> lines(Function<? super T, String> lines) {
      this.lines = Objects.requireNonNull(lines, "lines must not be null");
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
      if (lines == null) {
        throw new ConfigException("HdfsSink needs a line mapping: call lines(...)");
      }
      if (bucket == null) {
        throw new ConfigException(
            "HdfsSink needs buckets: call bucket(...) or bucketByTopicAndHour(...)");
      }
      return new HdfsSink<>(
          new HdfsSinkSettings<>(
              name != null ? name : "hdfs",
              base,
              conf != null ? conf : new Configuration(),
              lines,
              bucket));
    }
  }
}
