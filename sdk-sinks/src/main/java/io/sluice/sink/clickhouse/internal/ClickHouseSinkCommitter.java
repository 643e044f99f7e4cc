package io.sluice.sink.clickhouse.internal;

import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a staged batch into the target table, or drops it on abort; see {@code ClickHouseSink}.
 * Runs on the checkpoint thread (and the start-up thread during recovery).
 */
public final class ClickHouseSinkCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSinkCommitter.class);

  private final ClickHouseSinkSettings<?> settings;
  private final String app;
  private final ClickHouseHttp http;
  private final Retry retry;
  private final SinkMetrics metrics;
  private TargetTable target;

  public ClickHouseSinkCommitter(ClickHouseSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.app = context.appName();
    this.http = settings.newHttp();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
  }

  private TargetTable target() {
    if (target == null) {
      target = TargetTable.prepare(http, settings.database(), settings.table());
    }
    return target;
  }

  @Override
  public void commit(Committable committable) {
    metrics.timeCommit(() -> move(committable));
  }

  private void move(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    // One id per batch: ClickHouse refuses a second statement with the id of a running one, so a
    // move started by a killed process can never run alongside this one.
    String queryId = "sluice-" + app + "-" + settings.name() + "-" + batch;
    if (settings.preparedHere().remove(batch)) {
      try {
        http.execute(target().moveStatement(batch, false), queryId);
        drop(batch);
        return;
      } catch (ClickHouseError e) {
        metrics.retry();
        LOG.warn(
            "sink {}: moving batch {} failed, checking what arrived and retrying: {}",
            settings.name(),
            batch,
            e.toString());
      }
    }
    guardedMove(batch, queryId);
  }

  /** The move for a batch that may have been moved fully or partly before. */
  private void guardedMove(String batch, String queryId) {
    long deadline = System.nanoTime() + settings.commitTimeout().toNanos();
    long backoff = settings.retryBackoff().toMillis();
    while (true) {
      try {
        long staged = http.scalar(target().countStaged(batch));
        if (staged == 0) {
          if (http.scalar(target().countCommitted(batch)) > 0) {
            LOG.debug("sink {}: batch {} was already committed", settings.name(), batch);
            return;
          }
          throw new SinkException(
              "Sink "
                  + settings.name()
                  + ": batch "
                  + batch
                  + " of a completed checkpoint is neither staged in "
                  + target().staging()
                  + " nor in "
                  + target().name()
                  + ": its rows were removed from the staging table by hand");
        }
        http.execute(target().moveStatement(batch, true), queryId);
        long committed = http.scalar(target().countCommitted(batch));
        if (committed != staged) {
          throw new ClickHouseError(
              "Sink "
                  + settings.name()
                  + ": after the move, "
                  + target().name()
                  + " holds "
                  + committed
                  + " of the "
                  + staged
                  + " rows of batch "
                  + batch,
              -1,
              null,
              null);
        }
        drop(batch);
        return;
      } catch (ClickHouseError e) {
        if (!e.retryable() || System.nanoTime() > deadline) {
          metrics.error();
          throw new SinkException(
              "Sink " + settings.name() + ": commit of batch " + batch + " failed: " + e, e);
        }
        metrics.retry();
        LOG.warn(
            "sink {}: commit of batch {} waits {} ms ({})",
            settings.name(),
            batch,
            backoff,
            e.sameQueryRunning() ? "a move of an earlier run is still running" : e.toString());
        sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private void drop(String batch) {
    retry.run(
        "Sink " + settings.name() + ": dropping staged batch " + batch,
        () -> http.execute(target().dropStatement(batch), null),
        e -> e instanceof ClickHouseError c && c.retryable());
  }

  @Override
  public void abort(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    settings.preparedHere().remove(batch);
    // Staged rows are never visible in the target; dropping a missing partition is a no-op.
    drop(batch);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("interrupted while committing", e);
    }
  }
}
