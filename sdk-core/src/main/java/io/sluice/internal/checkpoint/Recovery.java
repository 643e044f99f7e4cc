package io.sluice.internal.checkpoint;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.CheckpointException;
import io.sluice.errors.CommitLostException;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SluiceException;
import io.sluice.errors.StateException;
import io.sluice.internal.Backoff;
import io.sluice.internal.MessageIds;
import io.sluice.internal.TakeOverLog;
import io.sluice.metrics.Metric;
import io.sluice.sink.Committer;
import io.sluice.state.RecoveryLayer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateDelta;
import io.sluice.state.internal.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pulsar.client.api.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovery, written once: what an app (and the broker-free test driver) does before its first
 * record, in this order.
 *
 * <pre>
 *  lock the state directory ──held by another instance──▶ refused, nothing touched
 *          │
 *  open the state store ──damaged──▶ moved aside (counted), an empty store instead
 *          │
 *  newest complete checkpoint (none, or unreadable ─▶ moved aside: no checkpoint)
 *          │  none, with a changelog ─▶ the changelog's newest checkpoint, written into the store
 *          │  the changelog behind it ─▶ the whole local state written as the changelog's base
 *          │
 *  sinks: commit the checkpoint's committables again (idempotent),
 *         abort every other handle a writer registered (output prepared after it)
 *          │
 *  plan each partition's start:  checkpointed position
 *                                 └─ none ─▶ durable cursor of the subscription
 *                                             └─ none ─▶ the source's start position
 *          │
 *  report the layer used: log, sluice.recovery.layer, sluice.recovery.partitions,
 *                          sluice.recovery.fallbacks
 * </pre>
 *
 * Commits and aborts ride out a short outage of a sink's server ({@link #retrying}); a commit that
 * can never succeed ({@link CommitLostException}) fails the start with the remedy.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

  /** How long recovery's commits and aborts are retried through a sink's outage. */
  private static final long RETRY_SECONDS = 60;

  /** Plans the partitions' starts from the checkpointed positions (the layers below it). */
  @FunctionalInterface
  public interface StartPlan {
    Map<String, PartitionStart> plan(Map<String, MessageId> checkpointed);
  }

  /**
   * What recovery found.
   *
   * @param lock the state directory's lock, held until the app stops
   * @param store the open state store
   * @param checkpoint the newest complete checkpoint, if any
   * @param positions the positions it recorded (empty without one)
   * @param starts where each partition starts
   * @param layer the layer the app resumed from
   */
  public record Result(
      StateDirLock lock,
      StateStore store,
      Optional<CheckpointRecord> checkpoint,
      Map<String, MessageId> positions,
      Map<String, PartitionStart> starts,
      RecoveryLayer layer) {}

  private final String app;
  private final Path stateDir;
  private final MeterRegistry meters;
  private final boolean retry;
  private final Changelog changelog;
  private final boolean replicated;

  /**
   * @param retry whether commits and aborts are retried through a sink's outage (the test driver
   *     runs each once)
   * @param changelog the app's checkpoints in Pulsar, or {@code null} when it keeps none
   * @param replicated whether other instances of the app may have run since this directory was
   *     written: then the changelog, not the directory, is the newest committed state
   */
  public Recovery(
      String app,
      Path stateDir,
      MeterRegistry meters,
      boolean retry,
      Changelog changelog,
      boolean replicated) {
    this.app = app;
    this.stateDir = stateDir;
    this.meters = meters;
    this.retry = retry;
    this.changelog = changelog;
    this.replicated = replicated;
  }

  /**
   * The state directory's lock and its store, opened by {@link #open} (a replica opens them while
   * its lease settles) and handed to {@link #run}.
   */
  public record OpenedStore(StateDirLock lock, StateStore store) implements AutoCloseable {
    @Override
    public void close() {
      store.close();
      lock.close();
    }
  }

  /**
   * Takes the lock of {@code stateDir} (refused, touching nothing, if another app holds it) and
   * opens its store; a damaged store is moved aside (counted in {@code meters}) and an empty one
   * opened instead.
   */
  public static OpenedStore open(String app, Path stateDir, MeterRegistry meters) {
    StateDirLock lock = StateDirLock.acquire(stateDir, app);
    try {
      return new OpenedStore(lock, openStore(app, stateDir, meters));
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** {@link #run(OpenedStore, Function, StartPlan)} on the store {@link #open} opens now. */
  public Result run(Function<StateStore, Map<String, Committer>> committers, StartPlan planner) {
    return run(open(app, stateDir, meters), committers, planner);
  }

  /**
   * Runs recovery on {@code opened}, this app's state directory. {@code committers} creates the
   * sinks' committers (their contexts register pending handles in the store). On a failure the
   * store is closed and the lock released again.
   */
  public Result run(
      OpenedStore opened,
      Function<StateStore, Map<String, Committer>> committers,
      StartPlan planner) {
    StateDirLock lock = opened.lock();
    StateStore store = opened.store();
    try {
      Optional<CheckpointRecord> checkpoint;
      try {
        checkpoint = store.latestCheckpoint();
      } catch (StateException e) {
        store = replaceUnreadable(store, e);
        checkpoint = Optional.empty();
      }
      boolean restored = false;
      if (changelog != null && replicated) {
        Optional<CheckpointRecord> adopted = adoptChangelog(store, checkpoint);
        restored = adopted.isPresent() && !adopted.equals(checkpoint);
        checkpoint = adopted;
      } else if (changelog != null && checkpoint.isEmpty()) {
        checkpoint = restoreFromChangelog(store);
        restored = checkpoint.isPresent();
      } else if (changelog != null) {
        syncChangelog(store, checkpoint.get());
      }
      recoverSinks(store, checkpoint, committers.apply(store));
      if (replicated) {
        TakeOverLog.step(app, "sinks-recovered");
      }
      Map<String, MessageId> positions = MessageIds.positionsOf(checkpoint.orElse(null));
      Map<String, PartitionStart> starts = planner.plan(positions);
      if (replicated) {
        TakeOverLog.step(app, "starts-planned");
      }
      RecoveryLayer layer = report(checkpoint, restored, starts);
      return new Result(lock, store, checkpoint, positions, starts, layer);
    } catch (RuntimeException e) {
      store.close();
      lock.close();
      throw e;
    }
  }

  /**
   * The changelog behind the local checkpoint (a crash between the local write and the changelog's,
   * or the changelog newly turned on): the whole local state becomes its base before any of the
   * checkpoint's output is committed. The changelog ahead: the local directory is older than what
   * was committed (the changelog is written before every commit), so it is refused.
   */
  private void syncChangelog(StateStore store, CheckpointRecord local) {
    long newest = changelog.newestId();
    if (newest > local.id()) {
      throw new StateException(
          "The state directory "
              + stateDir
              + " of app "
              + app
              + " holds checkpoint "
              + local.id()
              + " but the app's changelog in Pulsar already holds checkpoint "
              + newest
              + ": the directory was restored from a backup or copied from another host or"
              + " instance, and resuming from it would repeat committed output. Delete it to"
              + " restore from the changelog.");
    }
    if (newest < local.id()) {
      changelog.writeBase(local, store.scanState(new byte[0]));
    }
  }

  /**
   * A replicated app: the changelog holds the newest committed checkpoint, whichever replica wrote
   * it. The local directory is used as it is only if its newest checkpoint is that very record
   * (this instance wrote it and nothing ran since); otherwise its state is replaced by the
   * changelog's. A local checkpoint the changelog lacks was never committed (a replica writes the
   * changelog before any commit), so it is dropped, and its prepared output aborted with the other
   * unrecorded handles. An empty changelog (replication just turned on) gets the local state as its
   * base.
   */
  private Optional<CheckpointRecord> adoptChangelog(
      StateStore store, Optional<CheckpointRecord> local) {
    Optional<CheckpointRecord> newest = changelog.newestRecord();
    if (newest.isEmpty()) {
      changelog.endTakeOver();
      local.ifPresent(l -> changelog.writeBase(l, store.scanState(new byte[0])));
      return local;
    }
    if (local.isPresent() && Arrays.equals(local.get().encode(), newest.get().encode())) {
      changelog.endTakeOver();
      LOG.info(
          "[{}] the state directory {} holds the changelog's newest checkpoint {}: resuming from it",
          app,
          stateDir,
          local.get().id());
      return local;
    }
    long started = System.nanoTime();
    Changelog.Restored restored = changelog.restore().orElseThrow();
    store.replaceState(restored.record(), restored.state());
    long replaceMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    TakeOverLog.step(app, "state-replaced");
    LOG.info(
        "[{}] restored checkpoint {} ({} keys of state) from the changelog in Pulsar in {} ms"
            + " (reading {} ms, much of it while the lease settled; writing the state directory {}"
            + " ms); the state directory {} held {}",
        app,
        restored.record().id(),
        restored.state().size(),
        changelog.takeOverReadMillis() + replaceMillis,
        changelog.takeOverReadMillis(),
        replaceMillis,
        stateDir,
        local.map(l -> "checkpoint " + l.id()).orElse("no checkpoint"));
    return Optional.of(restored.record());
  }

  /** Writes the changelog's newest checkpoint into the (empty) local store. */
  private Optional<CheckpointRecord> restoreFromChangelog(StateStore store) {
    Optional<Changelog.Restored> found = changelog.restore();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    StateDelta all = new StateDelta();
    found.get().state().forEach(all::put);
    store.commitCheckpoint(found.get().record(), List.of(all), 1);
    LOG.warn(
        "[{}] no usable local checkpoint in {}: restored checkpoint {} ({} keys of state) from the"
            + " changelog in Pulsar",
        app,
        stateDir,
        found.get().record().id(),
        all.size());
    return Optional.of(found.get().record());
  }

  private static StateStore openStore(String app, Path stateDir, MeterRegistry meters) {
    Path dir = stateDir.resolve("rocksdb");
    try {
      return StateStore.open(dir);
    } catch (StateException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
      Path aside = quarantine(app, meters, dir, e);
      LOG.warn(
          "[{}] the state store in {} cannot be opened ({}); moved it to {} and recovering from"
              + " the durable cursors. Output since the cursors' last advance may repeat.",
          app,
          dir,
          e.getMessage(),
          aside);
      return StateStore.open(dir);
    }
  }

  /** The checkpoint record is unreadable: the store is moved aside and an empty one opened. */
  private StateStore replaceUnreadable(StateStore store, StateException e) {
    Path dir = store.dir();
    store.close();
    Path aside = quarantine(app, meters, dir, e);
    LOG.warn(
        "[{}] {}; moved the state store to {} and recovering from the durable cursors",
        app,
        e.getMessage(),
        aside);
    return StateStore.open(dir);
  }

  private static Path quarantine(String app, MeterRegistry meters, Path dir, StateException cause) {
    Metric.RECOVERY_FALLBACKS.counter(meters, app, "reason", "damaged").increment();
    Path aside = dir.resolveSibling(dir.getFileName() + ".damaged-" + System.currentTimeMillis());
    try {
      Files.move(dir, aside);
      return aside;
    } catch (IOException e) {
      SluiceException error =
          new StateException(
              "The state store in "
                  + dir
                  + " is damaged and cannot be moved aside ("
                  + e.getMessage()
                  + "); delete it to recover from the durable cursors",
              cause);
      error.addSuppressed(e);
      throw error;
    }
  }

  /**
   * Commits the newest checkpoint's committables again (commit is idempotent) and aborts every
   * other handle a writer registered before the crash: output prepared after the checkpoint.
   */
  private void recoverSinks(
      StateStore store, Optional<CheckpointRecord> checkpoint, Map<String, Committer> committers) {
    int aborted =
        SinkRecovery.recover(
            checkpoint.orElse(null),
            committers,
            store,
            stateDir,
            retry ? this::retrying : (what, action) -> action.run());
    if (checkpoint.isPresent() || aborted > 0) {
      LOG.info(
          "[{}] recovered sinks: re-committed {} committables of checkpoint {}, aborted {}"
              + " uncommitted",
          app,
          checkpoint.map(c -> c.committables().size()).orElse(0),
          checkpoint.map(CheckpointRecord::id).orElse(0L),
          aborted);
    }
  }

  /** Recovery commits/aborts ride out a short outage of the sink's server (up to ~60 s). */
  private void retrying(String what, Runnable action) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RETRY_SECONDS);
    RuntimeException failure =
        Backoff.retry(
            action,
            (e, backoff) -> {
              if (System.nanoTime() > deadline
                  || e instanceof CommitLostException
                  || e instanceof ConfigException) { // a refused permission stays refused
                return false;
              }
              LOG.warn(
                  "[{}] recovery: {} failed, retrying in {} ms: {}",
                  app,
                  what,
                  backoff,
                  e.toString());
              return true;
            });
    if (failure instanceof CommitLostException lost) {
      throw new CheckpointException(
          "Recovery: " + what + " failed: " + lost.getMessage() + " " + LostCommits.REMEDY, lost);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private RecoveryLayer report(
      Optional<CheckpointRecord> checkpoint,
      boolean fromChangelog,
      Map<String, PartitionStart> starts) {
    Map<RecoveryLayer, Integer> counts = new HashMap<>();
    starts.values().forEach(s -> counts.merge(s.layer(), 1, Integer::sum));
    RecoveryLayer layer;
    if (fromChangelog) {
      layer = RecoveryLayer.CHANGELOG;
    } else if (checkpoint.isPresent()) {
      layer = RecoveryLayer.CHECKPOINT;
    } else if (counts.getOrDefault(RecoveryLayer.DURABLE_CURSOR, 0) > 0) {
      layer = RecoveryLayer.DURABLE_CURSOR;
      Metric.RECOVERY_FALLBACKS.counter(meters, app, "reason", "no-checkpoint").increment();
      LOG.warn(
          "[{}] no local checkpoint in {}: {} partitions resume from the durable cursor of their"
              + " subscription; output since the cursor's last advance may repeat",
          app,
          stateDir,
          counts.get(RecoveryLayer.DURABLE_CURSOR));
    } else {
      layer = RecoveryLayer.START_POSITION;
    }
    Metric.RECOVERY_LAYER.gauge(layer, RecoveryLayer::ordinal).tag("app", app).register(meters);
    for (Map.Entry<RecoveryLayer, Integer> e : counts.entrySet()) {
      Gauge.builder(Metric.RECOVERY_PARTITIONS.key(), e::getValue)
          .description(Metric.RECOVERY_PARTITIONS.description())
          .tag("app", app)
          .tag("layer", e.getKey().name())
          .register(meters);
    }
    LOG.info("[{}] recovery: layer {}, partitions per layer {}", app, layer, counts);
    return layer;
  }
}
