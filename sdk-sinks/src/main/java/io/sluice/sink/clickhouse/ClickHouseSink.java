package io.sluice.sink.clickhouse;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.RetryingSinkBuilder;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkCommitter;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkSettings;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkWriter;
import io.sluice.sink.internal.Checks;
import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Inserts records into a ClickHouse table exactly once, over HTTP with JSONEachRow (works with
 * servers as old as 18.16, which have no insert deduplication token).
 *
 * <pre>{@code
 * ClickHouseSink<Event> sink = ClickHouseSink.<Event>builder()
 *     .url("http://127.0.0.1:8123")
 *     .table("events")
 *     .rows(e -> Map.of("id", e.id(), "kind", e.kind()))
 *     .build();
 * }</pre>
 *
 * <p><b>Exactly once</b> under SIGKILL at any instant: output is staged in a table of its own per
 * batch and attached to the target at commit, so a partial insert of a killed process never reaches
 * it. The protocol, its hazards and how outages and bad records are handled are in the package doc
 * of {@code io.sluice.sink.clickhouse.internal}.
 *
 * <p>The target table needs one extra column the sink fills, {@code _sluice_batch String}: {@code
 * ALTER TABLE events ADD COLUMN _sluice_batch String}. It must be a plain (non-replicated)
 * MergeTree table: the commit attaches parts. The sink creates one staging table per batch next to
 * it, {@code events__sluice_<scope>_<batch>} (the scope names the app and sink), and drops it once
 * the batch is committed; a start after a lost state directory drops what earlier runs left.
 *
 * <p><b>Limits.</b> Replicated and distributed tables and the merging engines (Summing, Replacing,
 * Aggregating, Collapsing, …MergeTree) are refused: their merges can erase a committed batch's
 * rows, which a replay after a crash takes for a batch not yet attached. Restart the app after
 * {@code ALTER}ing the target. The rest (server crashes, leftover staging tables, bad records) is
 * in the package doc of {@code io.sluice.sink.clickhouse.internal}.
 */
public final class ClickHouseSink<T> implements Sink<T> {
  private final ClickHouseSinkSettings<T> settings;

  private ClickHouseSink(ClickHouseSinkSettings<T> settings) {
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
    return new ClickHouseSinkWriter<>(settings, context);
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    Objects.requireNonNull(context, "context must not be null");
    return new ClickHouseSinkCommitter(settings, context);
  }

  @Override
  public String toString() {
    return "ClickHouseSink{" + settings.name() + " -> " + settings.url() + "}";
  }

  /**
   * Settings of a {@link ClickHouseSink}; each setter validates its value at once. Default name:
   * {@code clickhouse:<table>}.
   */
  public static final class Builder<T> extends RetryingSinkBuilder<Builder<T>> {
    private String url;
    private String database = "default";
    private String table;
    private String user;
    private Secret password;
    private TlsTrust trust;
    private Function<? super T, ? extends Map<String, ?>> rows;
    private int batchRows = 100_000;
    private long batchBytes = 32L << 20;
    private Duration flushInterval = Duration.ofSeconds(5);
    private Duration requestTimeout = Duration.ofSeconds(60);
    private Duration commitTimeout = Duration.ofMinutes(10);

    private Builder() {}

    @Override
    protected Builder<T> self() {
      return this;
    }

    /** The HTTP interface, e.g. {@code http://127.0.0.1:8123}. */
    public Builder<T> url(String url) {
      this.url = Checks.httpUrl(url, "url");
      return this;
    }

    public Builder<T> database(String database) {
      this.database = Objects.requireNonNull(database, "database must not be null");
      return this;
    }

    public Builder<T> table(String table) {
      this.table = Objects.requireNonNull(table, "table must not be null");
      return this;
    }

    public Builder<T> credentials(String user, String password) {
      this.user = Objects.requireNonNull(user, "user must not be null");
      this.password = Secret.of(Objects.requireNonNull(password, "password must not be null"));
      return this;
    }

    /**
     * For an {@code https} URL: trust the certificates in this key store ({@code PKCS12} or {@code
     * JKS}) instead of the JVM's default trust.
     */
    public Builder<T> trustStore(Path file, String type, String password) {
      this.trust = TlsTrust.of(file, type, password);
      return this;
    }

    /** Maps a record to its row: column name to a JSON-encodable value. */
    public Builder<T> rows(Function<? super T, ? extends Map<String, ?>> rows) {
      this.rows = Objects.requireNonNull(rows, "rows must not be null");
      return this;
    }

    /** Rows per insert into staging (default 100,000). */
    public Builder<T> batchRows(int n) {
      if (n < 1) {
        throw new ConfigException("Invalid value " + n + " for batchRows: must be at least 1");
      }
      this.batchRows = n;
      return this;
    }

    /** Bytes per insert into staging (default 32 MiB); bounds the writer's memory. */
    public Builder<T> batchBytes(long n) {
      if (n < 1024) {
        throw new ConfigException("Invalid value " + n + " for batchBytes: must be at least 1024");
      }
      this.batchBytes = n;
      return this;
    }

    /** Longest time rows wait in memory before they are sent, checked as records arrive. */
    public Builder<T> flushInterval(Duration interval) {
      this.flushInterval = atLeast(interval, Duration.ofMillis(1), "flushInterval");
      return this;
    }

    public Builder<T> requestTimeout(Duration timeout) {
      this.requestTimeout = atLeast(timeout, Duration.ofSeconds(1), "requestTimeout");
      return this;
    }

    /** How long a commit keeps retrying, e.g. behind a move of an earlier run (default 10 min). */
    public Builder<T> commitTimeout(Duration timeout) {
      this.commitTimeout = atLeast(timeout, Duration.ofSeconds(1), "commitTimeout");
      return this;
    }

    public ClickHouseSink<T> build() {
      if (url == null) {
        throw new ConfigException("ClickHouseSink needs a server: call url(\"http://host:8123\")");
      }
      if (table == null) {
        throw new ConfigException("ClickHouseSink needs a table: call table(...)");
      }
      if (rows == null) {
        throw new ConfigException("ClickHouseSink needs a row mapping: call rows(...)");
      }
      return new ClickHouseSink<>(
          new ClickHouseSinkSettings<>(
              nameOr("clickhouse:" + table),
              url,
              database,
              table,
              user,
              password,
              trust,
              rows,
              batchRows,
              batchBytes,
              flushInterval,
              requestTimeout,
              retryTimeout(),
              retryBackoff(),
              commitTimeout,
              null,
              null));
    }
  }
}
