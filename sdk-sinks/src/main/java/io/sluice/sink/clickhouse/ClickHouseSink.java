package io.sluice.sink.clickhouse;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.RetryingSinkBuilder;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkCommitter;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkSettings;
import io.sluice.sink.clickhouse.internal.ClickHouseSinkWriter;
import io.sluice.sink.internal.Checks;
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
 * <p>The target table needs one extra column the sink fills, {@code _sluice_batch String}: {@code
 * ALTER TABLE events ADD COLUMN _sluice_batch String}. It must be a (non-replicated)
 * MergeTree-family table: the commit attaches parts. The sink creates one staging table per batch
 * next to it, {@code events__sluice_<batch>}, and drops it once the batch is committed.
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b> A ClickHouse
 * insert is not all-or-nothing: a client that dies mid-request (FIN at a row boundary) gets its
 * partial rows committed. So the target never receives rows straight from the app; each batch (a
 * writer's rows between two checkpoints) is written to a staging table of its own, with the
 * target's columns and engine, and its parts are then attached to the target:
 *
 * <pre>
 *  first row  ─▶ register batch B as pending; CREATE TABLE events__sluice_B (target's columns and
 *                engine; _sluice_batch DEFAULT 'B', so rows on the wire carry only their columns),
 *                unless made ahead; register B+1 and CREATE its table ahead, so no batch waits
 *                for its CREATE behind the server's other work
 *  write      ─▶ buffer (batchRows / batchBytes / flushInterval) ─▶ INSERT INTO events__sluice_B,
 *                sent while the next chunk is encoded
 *  failed try ─▶ count() staging: the rows before the chunk are known, so the count tells how
 *                many of its rows the try staged (a prefix, see below); send only the rest
 *  barrier    ─▶ send the rest and go on with the next batch at once; a finisher thread waits
 *                for that insert (handling a failed try as above), then, only if some insert try
 *                failed: count() = rows sent? (if not, fail the batch) ─▶ the prepared future
 *                completes: committable = B
 *  checkpoint durable ─▶ per partition p: ALTER TABLE events ATTACH PARTITION ID p FROM events__sluice_B
 *                     ─▶ DROP TABLE events__sluice_B (in the background)
 *  replay / retry     ─▶ staging gone and B in the target: done; else per staged partition p:
 *                        attach only if the target has no row of B in p; then drop
 * </pre>
 *
 * A failed insert may still have staged rows: ClickHouse stores, in order, the rows it read before
 * a connection ended at a row boundary, so what a failed try leaves is a prefix of its chunk (none,
 * some or all of its rows). Chunks of a batch are sent one at a time, so the rows staged before a
 * chunk are known; before each new try the staging table is counted, and only the chunk's rows
 * beyond that prefix are sent. The count runs under the chunk's own query id, which ClickHouse
 * refuses while a statement with that id runs, so it waits until a try the client gave up on has
 * ended on the server. A count that cannot be (more rows than were sent: a try that started on the
 * server after the client gave up on it) fails the batch instead of guessing; the app recovers from
 * its last checkpoint and the batch is written again. A batch whose every chunk was accepted by its
 * first request holds exactly its rows, so it is not counted; one that had a failed try is counted
 * once more before it is named prepared. The checkpoint waits for the prepared future, so it never
 * names a batch whose staging is not yet complete and exact; the next batch's first insert waits
 * for it too (one insert in flight).
 *
 * <p>A batch is registered as pending in the local state store before its staging table is created
 * (for a table made ahead too), and recovery drops the staging tables of batches that did not reach
 * the restored checkpoint, so rows of a killed writer's partial insert never reach the target, and
 * a table made ahead for a batch that never got a row is dropped as well (a closing writer drops it
 * itself). ATTACH PARTITION … FROM links the staged parts of one partition into the target as one
 * atomic change, so a partition of a batch is in the target entirely or not at all, and one row of
 * it tells. Its check and attach run under one query id per batch and partition, which ClickHouse
 * refuses to run twice at once, so an attach left running by a killed process finishes before a
 * replay looks. The first commit of a batch prepared by the same process skips the check (no
 * earlier run can have attached it), so the target's {@code _sluice_batch} column is read only on
 * retries and recovery. Rows are written once, into staging; the commit copies no row (the parts
 * are hard links). The batch columns are plain data: count with {@code count()}; no {@code FINAL}
 * is needed. On servers that support {@code insert_deduplication_token} (22.2 and later; detected
 * from the version) staging inserts carry one too, so the server also drops a retried chunk.
 *
 * <p><b>Throughput.</b> Rows on the wire are the plain insert's rows. Each writer pays a fixed cost
 * per checkpoint on the server (CREATE of the staging table, one ATTACH per partition, DROP; about
 * 2 ms of server CPU) and the server fills and stores the {@code _sluice_batch} column. Fewer,
 * larger checkpoints (a longer interval, fewer slot groups writing to one table) bring the sink
 * closer to a plain insert; measured figures are in benchmarks/README.md.
 *
 * <p><b>Limits.</b> Use a MergeTree target without row-collapsing engines if counts must match.
 * Replicated and distributed tables are refused (their parts cannot be attached from a local
 * staging table). A server crash (not a client one) in the middle of an attach is not covered. A
 * staging table left by a killed process is dropped by recovery; one whose background drop failed
 * after its commit only holds rows the target already has, and is dropped by hand. The staging
 * tables take the target's columns when a writer starts: after {@code ALTER}ing the target, restart
 * the app. Rows are checked against the target's columns when written. A record the sink cannot map
 * (the mapping throws or returns null, a column the table lacks, a value the server refuses for
 * that row) goes to {@link SinkContext#badRecord}: with the app's policy SKIP it is counted and
 * left out (the rest of its request is sent again without it), with FAIL the app stops naming the
 * record, the table and the column.
 *
 * <p><b>Outages.</b> Every request is retried with backoff for up to {@link Builder#retryTimeout}
 * (default 60 s); meanwhile the writer's processing thread waits, which stops its readers
 * (backpressure). A batch's last insert is retried by the finisher while the processing thread
 * waits at its next insert; if it still fails (or a row of it is refused under the policy FAIL),
 * the batch's prepared future fails and the app stops and recovers from its last complete
 * checkpoint, aborting the batch. Commits are retried by the runtime until they succeed.
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
    private String password;
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
      this.password = Objects.requireNonNull(password, "password must not be null");
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
