package io.sluice.sink.clickhouse.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
  private final TargetTable target;
  private final Set<String> columns;
  private final Retry retry;
  private final JsonFactory json = new ObjectMapper().getFactory();
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1 << 16);
  private final Counter written;
  private BatchId batch;
  private boolean registered;
  private int bufferedRows;
  private long bufferedSince;
  private long chunkFirstSeq;
  private long nextSeq;

  public ClickHouseSinkWriter(ClickHouseSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    this.http = settings.newHttp();
    this.target = TargetTable.prepare(http, settings.database(), settings.table());
    this.columns = target.recordColumns();
    this.retry = new Retry(settings.maxRetries(), settings.retryBackoff(), Duration.ofSeconds(10));
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
    this.written =
        Counter.builder("sluice.sink.records")
            .tag("app", context.appName())
            .tag("sink", settings.name())
            .register(context.meterRegistry());
  }

  @Override
  public void write(T value) {
    Map<String, ?> row = settings.rows().apply(value);
    if (row == null) {
      throw new SinkException(
          "Sink " + settings.name() + ": the row mapping returned null for " + value);
    }
    for (String column : row.keySet()) {
      if (!columns.contains(column)) {
        throw new SinkException(
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
                + "). Fix the row mapping or add the column.");
      }
    }
    if (nextSeq >= 0xFFFF_FFFFL) {
      throw new SinkException(
          "Sink " + settings.name() + ": more than 2^32-1 rows between two checkpoints");
    }
    if (bufferedRows == 0) {
      bufferedSince = System.nanoTime();
    }
    try (JsonGenerator g = json.createGenerator(buffer)) {
      g.writeStartObject();
      for (Map.Entry<String, ?> e : row.entrySet()) {
        g.writeObjectField(e.getKey(), e.getValue());
      }
      g.writeStringField(TargetTable.BATCH, batch.toString());
      g.writeNumberField(TargetTable.SEQ, nextSeq);
      g.writeEndObject();
    } catch (IOException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": cannot encode record #" + nextSeq + " as JSON: " + e, e);
    }
    buffer.write('\n');
    bufferedRows++;
    nextSeq++;
    written.increment();
    if (bufferedRows >= settings.batchRows()
        || buffer.size() >= settings.batchBytes()
        || System.nanoTime() - bufferedSince >= settings.flushInterval().toNanos()) {
      flush();
    }
  }

  /** Sends the buffered rows to staging; on failure they stay buffered for the next try. */
  private void flush() {
    if (bufferedRows == 0) {
      return;
    }
    if (!registered) {
      // Before the first row reaches staging: after a crash, recovery aborts what it cannot commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    byte[] body = buffer.toByteArray();
    String label = "Sink " + settings.name() + ": insert of " + bufferedRows + " rows to staging";
    try {
      // A retry may leave a row twice (or a partial first try may stay): the commit keeps one row
      // per seq, so repeating is harmless.
      retry.run(
          label,
          () -> {
            http.insert(target.insertStaging(), body);
            return null;
          },
          e -> e instanceof ClickHouseError c && c.retryable());
    } catch (ClickHouseError e) {
      throw describe(e, body);
    }
    buffer.reset();
    bufferedRows = 0;
    chunkFirstSeq = nextSeq;
  }

  private SinkException describe(ClickHouseError e, byte[] body) {
    StringBuilder m =
        new StringBuilder("Sink ")
            .append(settings.name())
            .append(": ClickHouse refused rows for table ")
            .append(target.name());
    Matcher row = AT_ROW.matcher(String.valueOf(e.body()));
    if (row.find()) {
      long n = Long.parseLong(row.group(1));
      m.append(", record #")
          .append(chunkFirstSeq + n - 1)
          .append(" since the last checkpoint (row ")
          .append(n)
          .append(" of the request)");
      String line = line(body, (int) n);
      if (line != null) {
        m.append(" ").append(line.length() > 300 ? line.substring(0, 300) + "..." : line);
      }
    }
    Matcher column = COLUMN.matcher(String.valueOf(e.body()));
    if (column.find()) {
      m.append(", column '").append(column.group(1)).append("'");
    }
    m.append(": ")
        .append(e.getMessage())
        .append(" (the rows are kept; the app fails and recovers from its last checkpoint)");
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
    if (staged != nextSeq) {
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
                  + nextSeq
                  + " rows (was the staging table "
                  + target.staging()
                  + " changed?)"));
    }
    Committable prepared = batch.toCommittable();
    settings.preparedHere().add(batch.toString());
    batch = batch.next();
    registered = false;
    nextSeq = 0;
    chunkFirstSeq = 0;
    return CompletableFuture.completedFuture(prepared);
  }

  @Override
  public void close() {
    // Nothing to release: the JDK client closes its connections when it is collected. Unsent
    // rows belong to a batch that recovery aborts.
  }
}
