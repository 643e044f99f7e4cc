package io.sluice.sink.clickhouse.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns records into JSONEachRow rows tagged with (batch, seq) and sends them to the staging table
 * in chunks (by rows, bytes or age); see {@code ClickHouseSink}. Runs on its slot group's
 * processing thread only; it owns every field.
 */
public final class ClickHouseSinkWriter<T> implements SinkWriter<T> {
  private static final Pattern AT_ROW = Pattern.compile("\\(at row (\\d+)\\)");
  private static final Pattern COLUMN =
      Pattern.compile("(?:value of key |JSONEachRow format: |column )`?([A-Za-z0-9_.]+)");

  private final ClickHouseSinkSettings<T> settings;
  private final SinkContext context;
  private final ClickHouseHttp http;
  private Boolean dedupSupported;
  private long flushes;
  private final TargetTable target;
  private final Set<String> columns;
  private final Retry retry;
  private final SinkMetrics metrics;
  private final JsonFactory json = new ObjectMapper().getFactory();
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 16);
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

  /** The records of the buffered rows, in order: a row the server refuses is handed over. */
  private final List<Object> bufferedRecords = new ArrayList<>();

  private BatchId batch;
  private boolean registered;
  private long bufferedSince;
  private long nextSeq;
  private long skipped;

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
            () -> TargetTable.prepare(client, settings.database(), settings.table()),
            e -> e instanceof ClickHouseError c && c.retryable());
    this.columns = target.recordColumns();
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
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
    for (String column : row.keySet()) {
      if (!columns.contains(column)) {
        context.badRecord(
            value,
            new SinkException(
                "Sink "
                    + settings.name()
                    + ": record #"
                    + nextSeq
                    + " since the last checkpoint has column '"
                    + column
                    + "', which table "
                    + target.name()
                    + " does not have (insertable columns: "
                    + columns
                    + "). Fix the row mapping or add the column."));
        return;
      }
    }
    if (nextSeq >= 0xFFFF_FFFFL) {
      throw new SinkException(
          "Sink " + settings.name() + ": more than 2^32-1 rows between two checkpoints");
    }
    line.reset();
    try (JsonGenerator g = json.createGenerator(line)) {
      g.writeStartObject();
      for (Map.Entry<String, ?> e : row.entrySet()) {
        g.writeObjectField(e.getKey(), e.getValue());
      }
      g.writeStringField(TargetTable.BATCH, batch.toString());
      g.writeNumberField(TargetTable.SEQ, nextSeq);
      g.writeEndObject();
    } catch (IOException | RuntimeException e) {
      context.badRecord(
          value,
          new SinkException(
              "Sink " + settings.name() + ": cannot encode the row as JSON: " + e, e));
      return;
    }
    if (bufferedRecords.isEmpty()) {
      bufferedSince = System.nanoTime();
    }
    buffer.write(line.toByteArray(), 0, line.size());
    buffer.write('\n');
    bufferedRecords.add(value);
    nextSeq++;
    metrics.record();
    if (bufferedRecords.size() >= settings.batchRows()
        || buffer.size() >= settings.batchBytes()
        || System.nanoTime() - bufferedSince >= settings.flushInterval().toNanos()) {
      flush();
    }
  }

  private String dedupToken() {
    if (dedupSupported == null) {
      dedupSupported = ClickHouseHttp.supportsDeduplicationToken(http.serverVersion());
    }
    return dedupSupported ? batch + "-" + bufferedRecords.size() + "-" + flushes : null;
  }

  /**
   * Sends the buffered rows to staging; on failure they stay buffered for the next try. A row the
   * server refuses goes to the bad-record handler and the rest is sent again without it.
   */
  private void flush() {
    if (bufferedRecords.isEmpty()) {
      return;
    }
    if (!registered) {
      // Before the first row reaches staging: after a crash, recovery aborts what it cannot commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    while (!bufferedRecords.isEmpty()) {
      byte[] body = buffer.toByteArray();
      String label =
          "Sink " + settings.name() + ": insert of " + bufferedRecords.size() + " rows to staging";
      try {
        // A retry may leave a row twice (or a partial first try may stay): the commit keeps one
        // row per seq, so repeating is harmless.
        retry.run(
            label,
            () -> {
              // On servers that support it, a retried chunk is also deduplicated by the server
              // (the same token for the same rows); the commit's one-row-per-seq rule is what
              // keeps exactly-once on servers without it, such as 18.16.
              http.insert(target.insertStaging(), body, dedupToken());
              return null;
            },
            e -> e instanceof ClickHouseError c && c.retryable());
        metrics.bytes(body.length);
        flushes++;
        break;
      } catch (ClickHouseError e) {
        int row = refusedRow(e);
        SinkException described = describe(e, body, row);
        if (row < 1 || row > bufferedRecords.size()) {
          throw described;
        }
        // Throws with the policy FAIL, leaving the rows buffered; with SKIP the row is dropped.
        context.badRecord(bufferedRecords.get(row - 1), described);
        removeLine(body, row);
        bufferedRecords.remove(row - 1);
        skipped++;
      }
    }
    buffer.reset();
    bufferedRecords.clear();
  }

  /** The 1-based row of the request the server named, or -1. */
  private static int refusedRow(ClickHouseError e) {
    Matcher row = AT_ROW.matcher(String.valueOf(e.body()));
    return row.find() ? Integer.parseInt(row.group(1)) : -1;
  }

  private void removeLine(byte[] body, int n) {
    int start = 0;
    for (int i = 1; i < n; i++) {
      start = indexOf(body, start) + 1;
    }
    int end = indexOf(body, start) + 1;
    buffer.reset();
    buffer.write(body, 0, start);
    buffer.write(body, end, body.length - end);
  }

  private static int indexOf(byte[] body, int from) {
    for (int i = from; i < body.length; i++) {
      if (body[i] == '\n') {
        return i;
      }
    }
    return body.length - 1;
  }

  private SinkException describe(ClickHouseError e, byte[] body, int n) {
    StringBuilder m =
        new StringBuilder("Sink ")
            .append(settings.name())
            .append(": ClickHouse refused rows for table ")
            .append(target.name());
    if (n >= 1) {
      String row = line(body, n);
      m.append(", row ").append(n).append(" of the request");
      if (row != null) {
        Matcher seq = Pattern.compile("\"" + TargetTable.SEQ + "\":(\\d+)").matcher(row);
        if (seq.find()) {
          m.append(" (record #").append(seq.group(1)).append(" since the last checkpoint)");
        }
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
    long staged =
        retry.run(
            "Sink " + settings.name() + ": counting staged rows",
            () -> http.scalar(target.countStaged(batch.toString())),
            e -> e instanceof ClickHouseError c && c.retryable());
    if (staged != nextSeq - skipped) {
      // Rows acknowledged by the server are missing: nothing in memory can replace them.
      return CompletableFuture.failedFuture(
          new SinkException(
              "Sink "
                  + settings.name()
                  + ": staging of batch "
                  + batch
                  + " holds "
                  + staged
                  + " of "
                  + (nextSeq - skipped)
                  + " rows (was the staging table "
                  + target.staging()
                  + " changed?)"));
    }
    Committable prepared = batch.toCommittable();
    settings.preparedHere().add(batch.toString());
    batch = batch.next();
    registered = false;
    nextSeq = 0;
    skipped = 0;
    return CompletableFuture.completedFuture(prepared);
  }

  @Override
  public void close() {
    // Nothing to release: the JDK client closes its connections when it is collected. Unsent
    // rows belong to a batch that recovery aborts.
  }
}
