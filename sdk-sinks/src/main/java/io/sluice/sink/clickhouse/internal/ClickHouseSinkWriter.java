package io.sluice.sink.clickhouse.internal;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Finisher;
import io.sluice.sink.internal.OutputScope;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns records into JSONEachRow rows and sends them to the batch's own staging table in chunks (by
 * rows, bytes or age); see {@code ClickHouseSink}. A chunk is sent without waiting while the next
 * one is encoded; at most one is in flight, and it is checked before the next is sent. At prepare
 * the last chunk is handed to a finisher thread with its batch:
 *
 * <pre>
 *  processing thread                          finisher (1 thread)
 *  barrier ─▶ send the last chunk, hand the ──▶ wait for it; after a failed try, send the rows
 *             batch over, start the next one     it did not stage (retries, refused rows to the
 *             at once                            bad-record handler); count staging if any try
 *                                                failed ─▶ complete the future
 *  next chunk ─▶ waits for the finisher first (one insert in flight, one batch being finished)
 * </pre>
 *
 * So the server stores one batch while the next is encoded, and the checkpoint completes only once
 * staging holds exactly the batch's rows.
 *
 * <p>A failed try may have staged a prefix of its chunk's rows: ClickHouse stores the rows it read
 * before a connection ended at a row boundary, in order. Chunks of a batch are sent one after the
 * other, so the rows staged before a chunk are known ({@code Staged.staged}); before each new try
 * the staging table is counted, under the chunk's query id (refused by the server while a try with
 * that id still runs), and only the rows not yet there are sent. A count that does not fit (more
 * rows than were sent) fails the batch, which recovery aborts; nothing is repaired by guessing. An
 * insert still failing after the retry timeout, or a row refused under the policy FAIL, fails the
 * batch's future, and with it the app, which recovers from its last complete checkpoint (the batch
 * is aborted then). Fields belong to the processing thread; a batch and its last chunk belong to
 * the finisher once handed over.
 */
public final class ClickHouseSinkWriter<T> implements SinkWriter<T> {
  private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSinkWriter.class);
  private static final Pattern AT_ROW = Pattern.compile("\\(at row (\\d+)\\)");
  private static final Pattern COLUMN =
      Pattern.compile("(?:value of key |JSONEachRow format: |column )`?([A-Za-z0-9_.]+)");

  private final ClickHouseSinkSettings<T> settings;
  private final SinkContext context;
  private final ClickHouseHttp http;
  private final TargetTable target;
  private final Set<String> columns;
  private final Retry retry;
  private final SinkMetrics metrics;
  private final RowEncoder encoder;
  private final RowEncoder.Body buffer = new RowEncoder.Body(1 << 16);

  /** The records of the buffered rows, in order: a row the server refuses is handed over. */
  private List<Object> bufferedRecords = new ArrayList<>();

  private final Finisher finisher;

  /** The previous batch: completes once its staging holds exactly its rows. */
  private CompletableFuture<Committable> finishing = CompletableFuture.completedFuture(null);

  private Chunk inFlight;
  private CompletableFuture<String> creating;

  /**
   * The CREATE of the next batch's staging table (registered as pending first), sent when this
   * batch's first row arrives: by the time the next batch starts, its table is there, so no CREATE
   * waits behind the inserts, attaches and drops the server is busy with.
   */
  private CompletableFuture<String> creatingNext;

  private Staged batch;
  private boolean registered;
  private boolean stagingCreated;
  private int chunks;
  private long bufferedSince;
  private long nextSeq;

  public ClickHouseSinkWriter(ClickHouseSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    ClickHouseHttp client = settings.newHttp();
    this.http = client;
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
    this.target =
        retry.run(
            "Sink " + settings.name() + ": reading table " + settings.table(),
            () -> settings.target(client).scoped(OutputScope.of(context)),
            e -> e instanceof ClickHouseError c && c.retryable());
    this.columns = target.recordColumns();
    this.encoder = new RowEncoder(columns);
    this.batch = new Staged(new BatchId(context.writerIndex(), BatchId.newToken(), 1));
    this.finisher = new Finisher(context, settings.name(), 1);
  }

  @Override
  public void write(T value) {
    Map<String, ?> row;
    try {
      row = settings.rows().apply(value);
    } catch (RuntimeException e) {
      context.badRecord(value, e);
      return;
    }
    if (row == null) {
      context.badRecord(
          value, new SinkException("Sink " + settings.name() + ": the row mapping returned null"));
      return;
    }
    if (nextSeq >= 0xFFFF_FFFFL) {
      throw new SinkException(
          "Sink " + settings.name() + ": more than 2^32-1 rows between two checkpoints");
    }
    if (bufferedRecords.isEmpty()) {
      bufferedSince = System.nanoTime();
      createStagingSoon();
    }
    try {
      encoder.append(row, buffer);
    } catch (RowEncoder.UnknownColumnException e) {
      context.badRecord(
          value,
          new SinkException(
              "Sink "
                  + settings.name()
                  + ": record #"
                  + nextSeq
                  + " since the last checkpoint has column '"
                  + e.column
                  + "', which table "
                  + target.name()
                  + " does not have (insertable columns: "
                  + columns
                  + "). Fix the row mapping or add the column."));
      return;
    } catch (IOException | RuntimeException e) {
      context.badRecord(
          value,
          new SinkException(
              "Sink " + settings.name() + ": cannot encode the row as JSON: " + e, e));
      return;
    }
    bufferedRecords.add(value);
    nextSeq++;
    metrics.record();
    if (bufferedRecords.size() >= settings.batchRows()
        || buffer.size() >= settings.batchBytes()
        || System.nanoTime() - bufferedSince >= settings.flushInterval().toNanos()) {
      flush();
    }
  }

  /**
   * Starts creating the batch's staging table without waiting, when its first row is buffered,
   * unless that was done one batch ahead, and the next batch's table too. Each is registered as
   * pending before its CREATE is sent: after a crash, recovery drops what it cannot commit, a table
   * made ahead for a batch that never got a row included.
   */
  private void createStagingSoon() {
    if (!registered) {
      context.registerPending(batch.id.toCommittable());
      registered = true;
    }
    if (creating == null && !stagingCreated) {
      creating = http.executeAsync(target.createStaging(batch.name));
    }
    if (creatingNext == null) {
      BatchId next = batch.id.next();
      context.registerPending(next.toCommittable());
      creatingNext = http.executeAsync(target.createStaging(next.toString()));
    }
  }

  /** Waits for the staging table; created here (with retries) if the early try failed. */
  private void awaitStaging() {
    if (stagingCreated) {
      return;
    }
    String name = batch.name;
    try {
      if (creating == null) {
        throw new CompletionException(new IllegalStateException("not started"));
      }
      creating.join();
    } catch (CompletionException | CancellationException e) {
      retry.run(
          "Sink " + settings.name() + ": creating staging table " + target.staging(name),
          () -> http.execute(target.createStaging(name), null),
          x -> x instanceof ClickHouseError c && c.retryable());
    }
    creating = null;
    stagingCreated = true;
  }

  /** On servers that support it, a retried chunk is also dropped by the server. */
  private String dedupToken(Chunk chunk) {
    return target.deduplicationToken()
        ? chunk.batch.name + "-" + chunk.index + "-" + chunk.seqOf(0) + "-" + chunk.records.size()
        : null;
  }

  /**
   * One query id per chunk: a retry is refused (and retried later) while an earlier try the client
   * gave up on still runs on the server, so the count at prepare sees every try that will land.
   */
  private String insertId(Chunk chunk) {
    return "sluice-"
        + context.appName()
        + "-"
        + settings.name()
        + "-"
        + chunk.batch.name
        + "-c"
        + chunk.index;
  }

  /** Sends the buffered rows as a chunk, without waiting, once the chunk before is accepted. */
  private void flush() {
    if (bufferedRecords.isEmpty()) {
      return;
    }
    createStagingSoon();
    awaitStaging();
    // One insert in flight: the previous batch's last one first. Its outcome is reported by its
    // own future; here it only bounds memory and the server's load.
    finishing.exceptionally(e -> null).join();
    awaitInFlight();
    Chunk chunk =
        new Chunk(
            batch,
            buffer.toByteArray(),
            bufferedRecords,
            chunks++,
            nextSeq - bufferedRecords.size());
    buffer.reset();
    bufferedRecords = new ArrayList<>();
    chunk.sent =
        http.insertAsync(
            target.insertStaging(batch.name), chunk.body, dedupToken(chunk), insertId(chunk));
    inFlight = chunk;
  }

  /**
   * Waits for the chunk in flight. If it failed, it is sent again here with retries, a refused row
   * going to the bad-record handler; if that throws, the chunk stays in flight for the next try.
   */
  private void awaitInFlight() {
    Chunk chunk = inFlight;
    if (chunk == null) {
      return;
    }
    try {
      chunk.sent.join();
      accepted(chunk);
    } catch (CompletionException | CancellationException e) {
      // A failed try may have staged a prefix of the chunk's rows: the rest is sent.
      chunk.batch.dirty = true;
      sendNow(chunk);
    }
    inFlight = null;
  }

  private void accepted(Chunk chunk) {
    metrics.bytes(chunk.body.length);
    chunk.batch.staged += chunk.records.size();
  }

  /**
   * Sends the rows of a chunk that are not staged yet, after a failed try, with retries; a row the
   * server refuses goes to the bad-record handler (which throws under the policy FAIL, leaving the
   * chunk in flight for the next try) and the rest is sent without it.
   */
  private void sendNow(Chunk chunk) {
    String label = "Sink " + settings.name() + ": insert into " + target.staging(chunk.batch.name);
    while (true) {
      try {
        retry.run(
            label,
            () -> {
              sendRest(chunk);
              return null;
            },
            e -> e instanceof ClickHouseError c && c.retryable());
        return;
      } catch (ClickHouseError e) {
        chunk.batch.dirty = true;
        int row = refusedRow(e);
        SinkException described = describe(e, chunk, row);
        if (row < 1 || row > chunk.records.size()) {
          throw described;
        }
        context.badRecord(chunk.records.get(row - 1), described);
        chunk.remove(row - 1, row);
        chunk.batch.skipped++;
      }
    }
  }

  /**
   * One try: counts staging (under the chunk's query id, so the server refuses the count while an
   * earlier try of the chunk still runs), leaves out the prefix of the chunk that earlier tries
   * staged, and sends the rest.
   */
  private void sendRest(Chunk chunk) {
    Staged b = chunk.batch;
    long landed = http.scalar(target.countStaged(b.name), insertId(chunk)) - b.staged;
    if (landed < 0 || landed > chunk.records.size()) {
      throw new SinkException(
          "Sink "
              + settings.name()
              + ": staging table "
              + target.staging(b.name)
              + " holds "
              + (b.staged + landed)
              + " rows where "
              + b.staged
              + " to "
              + (b.staged + chunk.records.size())
              + " were sent (a try landed late, or the table was changed by hand); the batch is"
              + " aborted and its records are written again from the last checkpoint");
    }
    if (landed > 0 && landed < chunk.records.size() && target.partitioned()) {
      // ClickHouse writes an insert's rows as one part per partition, one part after another: a
      // try that failed between two parts staged whole partitions, not a prefix of the rows
      throw new SinkException(
          "Sink "
              + settings.name()
              + ": a failed insert staged "
              + landed
              + " of its "
              + chunk.records.size()
              + " rows in the partitioned table "
              + target.staging(b.name)
              + ", which need not be a prefix of them; the batch is aborted and its records are"
              + " written again from the last checkpoint");
    }
    if (landed > 0) {
      LOG.info(
          "sink {}: a failed insert into {} had staged {} of its {} rows; sending the other {}",
          settings.name(),
          target.staging(b.name),
          landed,
          chunk.records.size(),
          chunk.records.size() - landed);
      b.staged += landed;
      chunk.remove(0, (int) landed);
    }
    if (chunk.records.isEmpty()) {
      return;
    }
    http.insert(target.insertStaging(b.name), chunk.body, dedupToken(chunk), insertId(chunk));
    accepted(chunk);
    chunk.records.clear();
  }

  /** The 1-based row of the request the server named, or -1. */
  private static int refusedRow(ClickHouseError e) {
    Matcher row = AT_ROW.matcher(String.valueOf(e.body()));
    return row.find() ? Integer.parseInt(row.group(1)) : -1;
  }

  private SinkException describe(ClickHouseError e, Chunk chunk, int n) {
    byte[] body = chunk.body;
    StringBuilder m =
        new StringBuilder("Sink ")
            .append(settings.name())
            .append(": ClickHouse refused rows for table ")
            .append(target.name());
    if (n >= 1) {
      String row = line(body, n);
      m.append(", row ").append(n).append(" of the request");
      if (n <= chunk.records.size()) {
        m.append(" (record #").append(chunk.seqOf(n - 1)).append(" since the last checkpoint)");
      }
      if (row != null) {
        m.append(" ").append(row.length() > 300 ? row.substring(0, 300) + "..." : row);
      }
    }
    Matcher column = COLUMN.matcher(String.valueOf(e.body()));
    if (column.find()) {
      m.append(", column '").append(column.group(1)).append("'");
    }
    m.append(": ").append(e.getMessage()).append(" (the rows are kept until this is resolved)");
    return new SinkException(m.toString(), e);
  }

  /**
   * Drops the tables made ahead that hold no row: the current batch's, when it got none, and the
   * next batch's. If that fails, recovery drops them (they are registered as pending).
   */
  private void dropAhead() {
    if (nextSeq == 0 && (creating != null || stagingCreated)) {
      dropUnused(batch.name, creating);
    }
    if (creatingNext != null) {
      dropUnused(batch.id.next().toString(), creatingNext);
    }
    creating = null;
    creatingNext = null;
  }

  private void dropUnused(String name, CompletableFuture<String> created) {
    try {
      if (created != null) {
        created.exceptionally(e -> null).join();
      }
      http.execute(target.dropStaging(name), null);
    } catch (ClickHouseError e) {
      LOG.warn(
          "sink {}: cannot drop the unused staging table {} (recovery drops it): {}",
          settings.name(),
          target.staging(name),
          e.toString());
    }
  }

  private static String line(byte[] body, int n) {
    String[] lines = new String(body, StandardCharsets.UTF_8).split("\n", n + 1);
    return n >= 1 && n <= lines.length ? lines[n - 1] : null;
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    if (nextSeq == 0) {
      return CompletableFuture.completedFuture(null);
    }
    flush();
    Staged done = batch;
    Chunk last = inFlight;
    long rows = nextSeq;
    inFlight = null;
    batch = new Staged(done.id.next());
    // Registered, and its table on the way, since the first row of the batch just prepared.
    registered = creatingNext != null;
    stagingCreated = false;
    creating = creatingNext;
    creatingNext = null;
    chunks = 0;
    nextSeq = 0;
    CompletableFuture<Void> sent =
        last == null ? CompletableFuture.completedFuture(null) : last.sent;
    finishing = sent.handleAsync((ok, failed) -> finish(done, last, failed, rows), finisher);
    return finishing;
  }

  /**
   * On the finisher: makes sure staging holds exactly the batch's rows, then names the batch as
   * prepared. Throws (failing the batch's future) when that cannot be done.
   */
  private Committable finish(Staged done, Chunk last, Throwable failed, long rows) {
    if (last != null) {
      if (failed == null) {
        accepted(last);
      } else {
        // A failed try may have staged a prefix of the chunk's rows: the rest is sent.
        done.dirty = true;
        sendNow(last);
      }
    }
    String name = done.name;
    long expected = rows - done.skipped;
    if (done.staged != expected) {
      throw new IllegalStateException(
          "batch " + name + ": " + done.staged + " rows accepted for " + expected + " records");
    }
    // Every chunk of a clean batch was accepted by exactly one request, so staging holds exactly
    // its rows. After a failed try it is counted once more: a try that landed after the count
    // that sent the rest of its chunk would show here.
    if (done.dirty) {
      long staged = count(target.countStaged(name));
      if (staged != expected) {
        throw new SinkException(
            "Sink "
                + settings.name()
                + ": staging table "
                + target.staging(name)
                + " holds "
                + staged
                + " rows for the batch's "
                + expected
                + " (a try landed late, or the table was changed by hand); the batch is aborted"
                + " and its records are written again from the last checkpoint");
      }
    }
    if (expected == 0) {
      // Every row was refused: nothing to commit; the pending batch is dropped on recovery.
      execute("dropping empty batch " + name, target.dropStaging(name));
      return null;
    }
    settings.preparedHere().add(name);
    return done.id.toCommittable();
  }

  private long count(String sql) {
    return retry.run(
        "Sink " + settings.name() + ": counting staged rows",
        () -> http.scalar(sql),
        e -> e instanceof ClickHouseError c && c.retryable());
  }

  private String execute(String what, String sql) {
    return retry.run(
        "Sink " + settings.name() + ": " + what,
        () -> http.execute(sql, null),
        e -> e instanceof ClickHouseError c && c.retryable());
  }

  @Override
  public void close() {
    // The JDK client closes its connections when it is collected. Unsent rows, and a staging
    // table created for them, belong to a batch that recovery aborts; tables made ahead without a
    // row are dropped here. A batch being finished may still be awaited by its checkpoint: let it
    // complete.
    dropAhead();
    finisher.close(settings.retryTimeout().plusSeconds(10));
  }
}
