package io.sluice.sink.clickhouse.internal;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.OutputScope;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches a staged batch's partitions to the target table, or drops the batch on abort; see {@code
 * ClickHouseSink}. Runs on the commit thread (and the start-up thread during recovery); the HTTP
 * client's threads only complete the futures of staging-table drops, which the next commit checks.
 */
public final class ClickHouseSinkCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(ClickHouseSinkCommitter.class);

  private final ClickHouseSinkSettings<?> settings;
  private final String app;
  private final String scope;
  private final ClickHouseHttp http;
  private final Retry retry;
  private final SinkMetrics metrics;
  private final List<CompletableFuture<String>> drops = new ArrayList<>();

  public ClickHouseSinkCommitter(ClickHouseSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.app = context.appName();
    this.scope = OutputScope.of(context);
    this.http = settings.newHttp();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
  }

  private TargetTable target() {
    return settings.target(http).scoped(scope);
  }

  @Override
  public void commit(Committable committable) {
    metrics.timeCommit(() -> attach(committable));
  }

  /**
   * One id per batch and partition: ClickHouse refuses a second statement with the id of a running
   * one, so an attach started by a killed process (or a timed-out try) never runs alongside the
   * check and attach of a replay.
   */
  private String queryId(String batch, String partition) {
    return "sluice-" + app + "-" + settings.name() + "-" + batch + "-" + partition;
  }

  private void attach(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    checkDrops();
    if (settings.preparedHere().remove(batch)) {
      // Prepared by this process and never attached: no check needed.
      try {
        for (String p : partitions(batch)) {
          http.execute(target().attach(batch, p), queryId(batch, p));
        }
        // The batch is in the target now; its staging table is only garbage, dropped in the
        // background (a replay after a crash finds every partition attached and drops it).
        drops.add(http.executeAsync(target().dropStaging(batch)));
        return;
      } catch (ClickHouseError e) {
        metrics.retry();
        LOG.warn(
            "sink {}: attaching batch {} failed, checking what arrived and retrying: {}",
            settings.name(),
            batch,
            e.toString());
      }
    }
    guardedAttach(batch);
  }

  /** The staged partitions: 'all' for an unpartitioned target, else read from system.parts. */
  private List<String> partitions(String batch) {
    if (!target().partitioned()) {
      return List.of("all");
    }
    return lines(target().stagedPartitions(batch));
  }

  /** The non-blank lines of a one-column TSV answer to {@code sql}, trimmed. */
  private List<String> lines(String sql) {
    List<String> values = new ArrayList<>();
    for (String line : http.execute(sql, null).split("\n")) {
      if (!line.isBlank()) {
        values.add(line.trim());
      }
    }
    return values;
  }

  /** The attach of a batch that may have been attached fully or in part before. */
  private void guardedAttach(String batch) {
    long deadline = System.nanoTime() + settings.commitTimeout().toNanos();
    long backoff = settings.retryBackoff().toMillis();
    boolean restaged = false;
    while (true) {
      try {
        if ("0".equals(http.execute(target().stagingExists(batch), null).trim())) {
          if ("1".equals(http.execute(target().legacyStagingExists(batch), null).trim())) {
            // Staged by a version that named staging tables without the scope.
            http.execute(target().adoptLegacyStaging(batch), null);
            continue;
          }
          if (http.scalar(target().countCommitted(batch)) > 0) {
            LOG.debug("sink {}: batch {} was already committed", settings.name(), batch);
            return;
          }
          throw new CommitLostException(
              "Sink "
                  + settings.name()
                  + ": batch "
                  + batch
                  + " of a completed checkpoint is neither staged in "
                  + target().staging(batch)
                  + " nor in "
                  + target().name()
                  + ": its staging table was dropped by hand");
        }
        for (String p : partitions(batch)) {
          // A partition is attached whole or not at all, so any row of the batch in it means done.
          if (http.scalar(target().countCommitted(batch, p), queryId(batch, p)) == 0) {
            http.execute(
                restaged ? target().attachRestaged(batch, p) : target().attach(batch, p),
                queryId(batch, p));
          }
        }
        drop(batch);
        return;
      } catch (ClickHouseError e) {
        if (e.differentStructure() && !restaged) {
          restage(batch);
          restaged = true;
          continue;
        }
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
            e.sameQueryRunning() ? "an attach of an earlier run is still running" : e.toString());
        sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /**
   * The target was altered after the batch was staged, and ATTACH … FROM needs both tables alike:
   * the batch's rows are copied into a table of the target's present structure (columns the target
   * gained take their defaults, columns it lost are left out), and its partitions are attached from
   * there. The staging table stays as it is until the batch is dropped, so a replay after a crash
   * finds the same mismatch, copies again (a partial copy is dropped first) and attaches only the
   * partitions the target lacks.
   */
  private void restage(String batch) {
    TargetTable now = settings.refreshTarget(http).scoped(scope);
    LOG.warn(
        "sink {}: {} was altered after batch {} was staged; copying the batch into a table of its"
            + " present structure before attaching it",
        settings.name(),
        now.name(),
        batch);
    List<String> staged = lines(now.stagingColumns(batch));
    http.execute(now.dropRestaged(batch), null);
    http.execute(now.createRestaged(batch), null);
    http.execute(now.copyIntoRestaged(batch, now.copiedColumns(staged)), null);
  }

  private void drop(String batch) {
    retry.run(
        "Sink " + settings.name() + ": dropping staged batch " + batch,
        () -> {
          http.execute(target().dropStaging(batch), null);
          return http.execute(target().dropRestaged(batch), null);
        },
        e -> e instanceof ClickHouseError c && c.retryable());
  }

  /**
   * Forgets finished background drops; a failed one only leaves a garbage table, so it is logged.
   */
  private void checkDrops() {
    for (var it = drops.iterator(); it.hasNext(); ) {
      CompletableFuture<String> d = it.next();
      if (d.isDone()) {
        it.remove();
        if (d.isCompletedExceptionally()) {
          d.exceptionally(
              e -> {
                LOG.warn(
                    "sink {}: dropping a committed staging table failed: {}",
                    settings.name(),
                    e.toString());
                return null;
              });
        }
      }
    }
  }

  @Override
  public void abort(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    settings.preparedHere().remove(batch);
    // Staged rows are never visible in the target; dropping a missing table is a no-op.
    drop(batch);
    retry.run(
        "Sink " + settings.name() + ": dropping staged batch " + batch,
        () -> http.execute(target().dropLegacyStaging(batch), null),
        e -> e instanceof ClickHouseError c && c.retryable());
  }

  /**
   * Drops every staging table of this app and sink ({@code OutputScope}) that an earlier run left:
   * at start-up the restored batches are committed and the listed pending ones aborted, so any
   * other batch still staged belongs to a run whose state directory was lost, and no checkpoint
   * that could commit it exists any more. One query lists them; other apps' and shards' tables have
   * other scopes and are not touched.
   */
  @Override
  public int abortOrphans(Collection<Committable> restored) {
    Set<String> keep = new HashSet<>();
    restored.forEach(c -> keep.add(BatchId.of(c, settings.name()).toString()));
    Set<String> orphans = new TreeSet<>();
    for (String table : lines(target().scopeTables())) {
      String batch = target().batchOf(table);
      if (!keep.contains(batch)) {
        orphans.add(batch);
      }
    }
    for (String batch : orphans) {
      settings.preparedHere().remove(batch);
      drop(batch);
    }
    if (!orphans.isEmpty()) {
      LOG.info(
          "sink {}: dropped {} staging tables an earlier run of {} left ({} …)",
          settings.name(),
          orphans.size(),
          app,
          target().staging(orphans.iterator().next()));
    }
    return orphans.size();
  }

  /** Waits (briefly) for the background drops, so a closed sink leaves no statement running. */
  @Override
  public void close() {
    try {
      CompletableFuture.allOf(drops.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("sink {}: dropping committed staging tables: {}", settings.name(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    checkDrops();
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
