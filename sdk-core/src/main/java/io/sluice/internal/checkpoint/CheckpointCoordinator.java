package io.sluice.internal.checkpoint;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.errors.CheckpointException;
import io.sluice.errors.CommitLostException;
import io.sluice.errors.OwnershipLostException;
import io.sluice.errors.SinkException;
import io.sluice.errors.StateException;
import io.sluice.internal.Backoff;
import io.sluice.internal.MessageIds;
import io.sluice.internal.group.GroupSnapshot;
import io.sluice.internal.group.SlotGroup;
import io.sluice.metrics.Metric;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.CheckpointRecord.SinkCommittable;
import io.sluice.state.internal.StateDelta;
import io.sluice.state.internal.StateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs checkpoints, one at a time, on the checkpoint thread.
 *
 * <pre>
 *  1 barrier(cid) into every slot group's ring ──▶ GroupSnapshot per group
 *  2 wait for the writers' prepared committables (flushes)
 *  3 ONE atomic, synced RocksDB batch: state deltas + positions + committables + cid
 *       └─ this write is the moment checkpoint cid is complete
 *  on the commit thread, while the next checkpoint runs:
 *  4 commit the committables (idempotent; retried until they succeed)
 *  5 forget the sinks' pending handles that were committed
 *  6 advance the durable cursors to the checkpointed positions (async, binary protocol)
 * </pre>
 *
 * <p>Committing off the checkpoint thread keeps checkpoints on their interval when a commit is slow
 * (a large Pulsar transaction can take seconds to commit, and a late checkpoint makes the next
 * transaction larger still). At most one commit runs behind: a checkpoint that completes while the
 * previous one's commit still runs waits for it before queueing its own. A checkpoint record also
 * lists the committables of earlier checkpoints whose commit has not finished, oldest first, so
 * recovery from it commits them again (commits are idempotent, and sinks that keep a per-writer
 * "last committed" marker see them in order).
 *
 * <p>A failure before step 3 fails only this checkpoint: state deltas already taken from the groups
 * and committables already prepared are carried into the next attempt, so the next checkpoint
 * supersedes the failed one and nothing is lost or left uncommitted. Too many failures in a row
 * fail the app.
 */
public final class CheckpointCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointCoordinator.class);

  private record TakenDelta(SlotGroup group, StateDelta delta) {}

  private final String app;
  private final StateStore store;
  private final List<? extends SlotGroup> groups;
  private final CursorCommitter cursors;
  private final Map<String, Committer> committers;
  private final Duration timeout;
  private final int retained;
  private final int maxConsecutiveFailures;
  private final Consumer<Throwable> onFailure;
  private final List<TakenDelta> carriedDeltas = new ArrayList<>();
  private final List<GroupSnapshot.Prepared> carriedPrepared = new ArrayList<>();
  private final Timer duration;
  private final Counter failures;
  private final Counter completed;
  private final Counter commitRetries;
  private final AtomicLong lastCompletedId = new AtomicLong();
  private final AtomicLong lastCompletedAt = new AtomicLong();
  private final AtomicLong lastCursorAdvanceAt = new AtomicLong(System.currentTimeMillis());
  private final Executor commitThread;
  private final Intake intake;
  private final Changelog changelog;

  /** The last commit failure being retried ("sink x: error"), or null. */
  private volatile String commitProblem;

  /** Committables of completed checkpoints whose commit has not finished, oldest first. */
  private final List<SinkCommittable> uncommitted = new ArrayList<>();

  private CompletableFuture<Void> lastCommit = CompletableFuture.completedFuture(null);
  private long nextId;
  private int consecutiveFailures;
  private volatile boolean stopping;

  public CheckpointCoordinator(
      String app,
      StateStore store,
      List<? extends SlotGroup> groups,
      Map<String, Committer> committers,
      CursorCommitter cursors,
      Duration timeout,
      int retained,
      int maxConsecutiveFailures,
      long lastRestoredId,
      MeterRegistry meters,
      Consumer<Throwable> onFailure,
      Executor commitThread,
      Intake intake,
      Changelog changelog) {
    this.app = app;
    this.commitThread = commitThread;
    this.intake = intake;
    this.changelog = changelog;
    this.store = store;
    this.groups = groups;
    this.committers = committers;
    this.cursors = cursors;
    this.timeout = timeout;
    this.retained = retained;
    this.maxConsecutiveFailures = maxConsecutiveFailures;
    this.onFailure = onFailure;
    this.nextId = lastRestoredId + 1;
    this.lastCompletedId.set(lastRestoredId);
    this.duration =
        Metric.CHECKPOINT_DURATION
            .timer()
            .tag("app", app)
            .publishPercentiles(0.5, 0.99)
            .register(meters);
    this.failures = Metric.CHECKPOINT_FAILURES.counter(meters, app);
    this.completed = Metric.CHECKPOINT_COMPLETED.counter(meters, app);
    this.commitRetries = Metric.SINK_COMMIT_RETRIES.counter(meters, app);
    Metric.CHECKPOINT_SIZE
        .gauge(store, StateStore::approximateSizeBytes)
        .tag("app", app)
        .register(meters);
    Metric.CHECKPOINT_LAST_ID
        .gauge(lastCompletedId, AtomicLong::get)
        .tag("app", app)
        .register(meters);
    Metric.CURSOR_COMMIT_LAG
        .gauge(lastCursorAdvanceAt, t -> System.currentTimeMillis() - t.get())
        .tag("app", app)
        .register(meters);
  }

  public long lastCompletedId() {
    return lastCompletedId.get();
  }

  public long lastCompletedAtMillis() {
    return lastCompletedAt.get();
  }

  /**
   * Ends commit retries; once this returns, no commit touches the state store or the cursors any
   * more (the app closes them next).
   */
  public void stop() {
    synchronized (uncommitted) {
      stopping = true;
    }
  }

  /**
   * Waits up to {@code timeout} for the commits of completed checkpoints; returns whether they
   * finished. A failed commit was reported to the app already.
   */
  public boolean awaitCommits(Duration timeout) {
    CompletableFuture<Void> last;
    synchronized (uncommitted) {
      last = lastCommit;
    }
    try {
      last.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs one checkpoint; returns whether it completed. Called on the checkpoint thread only. */
  public boolean checkpoint() {
    long cid = nextId++;
    long started = System.nanoTime();
    List<CompletableFuture<GroupSnapshot>> barriers = new ArrayList<>();
    for (SlotGroup g : groups) {
      barriers.add(g.barrier(cid));
    }
    Map<String, MessageId> positions = new HashMap<>();
    List<TakenDelta> deltas = new ArrayList<>();
    Throwable groupFailure = null;
    for (int i = 0; i < groups.size(); i++) {
      GroupSnapshot s;
      try {
        s = awaitBarrier(cid, i, barriers.get(i));
        if (s == null) {
          return false; // the app fails: a processing thread never took the barrier
        }
      } catch (ExecutionException e) {
        return failed(cid, e.getCause(), deltas);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failed(cid, e, deltas);
      }
      carriedPrepared.addAll(s.prepared());
      if (s.failure() != null) {
        groupFailure = s.failure();
      } else {
        deltas.add(new TakenDelta(groups.get(i), s.delta()));
        positions.putAll(s.positions());
      }
    }
    if (groupFailure != null) {
      return failed(cid, groupFailure, deltas);
    }
    long barriersTaken = System.nanoTime();
    List<SinkCommittable> committables = new ArrayList<>();
    long deadline = started + timeout.toNanos();
    for (GroupSnapshot.Prepared p : carriedPrepared) {
      try {
        Committable c =
            p.committable().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (c != null) {
          committables.add(new SinkCommittable(p.sink(), c.bytes()));
        }
      } catch (TimeoutException e) {
        return failed(
            cid,
            new CheckpointException("sink " + p.sink() + " did not prepare in " + timeout),
            deltas);
      } catch (ExecutionException e) {
        SinkException fatal =
            new SinkException(
                "Sink "
                    + p.sink()
                    + " lost prepared output for checkpoint "
                    + cid
                    + ": "
                    + e.getCause()
                    + ". The app stops; on restart it recovers from checkpoint "
                    + lastCompletedId.get()
                    + ".",
                e.getCause());
        onFailure.accept(fatal);
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return failed(cid, e, deltas);
      }
    }
    long prepared = System.nanoTime();
    Map<String, byte[]> encodedPositions = new HashMap<>();
    positions.forEach((topic, id) -> encodedPositions.put(topic, MessageIds.toBytes(id)));
    List<SinkCommittable> recorded;
    synchronized (uncommitted) {
      recorded = new ArrayList<>(uncommitted); // older checkpoints' first
    }
    recorded.addAll(committables);
    CheckpointRecord record =
        new CheckpointRecord(cid, System.currentTimeMillis(), encodedPositions, recorded);
    List<StateDelta> toWrite = new ArrayList<>();
    carriedDeltas.forEach(t -> toWrite.add(t.delta()));
    deltas.forEach(t -> toWrite.add(t.delta()));
    try {
      store.commitCheckpoint(record, toWrite, retained);
    } catch (StateException e) {
      return failed(cid, e, deltas);
    }
    // ---- checkpoint cid is complete ----
    carriedDeltas.addAll(deltas);
    carriedDeltas.forEach(t -> t.group().keyedState().written(t.delta()));
    carriedDeltas.clear();
    carriedPrepared.clear();
    lastCompletedId.set(cid);
    lastCompletedAt.set(System.currentTimeMillis());
    consecutiveFailures = 0;
    completed.increment();
    duration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    long written = System.nanoTime();
    synchronized (uncommitted) {
      uncommitted.addAll(committables);
    }
    // At most one commit behind this checkpoint: wait for the previous one (not for its failure,
    // which the app was told about).
    if (!awaitPreviousCommit(cid)) {
      return true; // complete, but the app failed: the next start commits its output
    }
    String timings =
        "barriers "
            + (barriersTaken - started) / 1_000_000
            + " ms, prepare "
            + (prepared - barriersTaken) / 1_000_000
            + " ms, write "
            + (written - prepared) / 1_000_000
            + " ms";
    CompletableFuture<Void> commit;
    try {
      commit =
          CompletableFuture.runAsync(
              () -> commitPhase(cid, committables, positions, timings, record, toWrite),
              commitThread);
    } catch (RejectedExecutionException e) {
      // The app is closing (a commit stuck in an outage held this checkpoint until then); the
      // record lists this output, so the next start commits it.
      LOG.warn("[{}] checkpoint {} is complete; its commit is left to the next start", app, cid);
      return true;
    }
    synchronized (uncommitted) {
      lastCommit = commit;
    }
    return true;
  }

  /**
   * Waits for the previous checkpoint's commit, holding the intake meanwhile. Each checkpoint
   * timeout it takes counts as a failed checkpoint, naming the failing commit, so a sink that stays
   * down fails the app after {@code maxConsecutiveFailures} timeouts instead of leaving it RUNNING
   * for ever with checkpoints stopped. Returns false if that failed the app.
   */
  private boolean awaitPreviousCommit(long cid) {
    CompletableFuture<Void> previous;
    synchronized (uncommitted) {
      previous = lastCommit;
    }
    if (previous.isDone()) {
      return true;
    }
    boolean[] ok = {true};
    intake.holdWhile(() -> ok[0] = waitFor(previous, cid));
    return ok[0];
  }

  private boolean waitFor(CompletableFuture<Void> previous, long cid) {
    long slice = Math.min(timeout.toMillis(), 500);
    long waited = 0;
    while (true) {
      try {
        previous.get(slice, TimeUnit.MILLISECONDS);
        return true;
      } catch (TimeoutException e) {
        if (stopping) {
          return true;
        }
        waited += slice;
        if (waited >= timeout.toMillis()) {
          waited = 0;
          CheckpointException behind =
              new CheckpointException(
                  "the commit of the previous checkpoint has not finished within "
                      + timeout
                      + " (retrying "
                      + commitProblem
                      + "); checkpoint "
                      + cid
                      + " is complete but reading is held until that commit succeeds");
          if (countFailure(cid, behind)) {
            return false;
          }
        }
      } catch (ExecutionException e) {
        return true; // its failure was reported to the app
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** Steps 4–6 of a completed checkpoint, on the commit thread. */
  private void commitPhase(
      long cid,
      List<SinkCommittable> committables,
      Map<String, MessageId> positions,
      String timings,
      CheckpointRecord record,
      List<StateDelta> deltas) {
    try {
      long started = System.nanoTime();
      if (changelog != null && !writeChangelog(cid, record, deltas)) {
        return;
      }
      if (!commitAll(cid, committables)) {
        return;
      }
      long committed = System.nanoTime();
      synchronized (uncommitted) {
        if (stopping) {
          return; // committed; the store and cursors are closing: a restart forgets or re-commits
        }
        forgetPending(committables);
        store.markCommitted(cid); // commits run in order: every earlier checkpoint's too
        uncommitted.removeAll(committables);
        cursors.advanceCursors(positions);
      }
      lastCursorAdvanceAt.set(System.currentTimeMillis());
      if (LOG.isDebugEnabled()) {
        LOG.debug(
            "[{}] checkpoint {}: {}, commit {} ms",
            app,
            cid,
            timings,
            (committed - started) / 1_000_000);
      }
    } catch (RuntimeException e) {
      onFailure.accept(
          new CheckpointException(
              "Finishing checkpoint " + cid + " (commit, cursors) failed: " + e, e));
      throw e;
    }
  }

  /**
   * Waits for group {@code i} to take barrier {@code cid}. Each checkpoint timeout that passes
   * meanwhile counts as a failed checkpoint (the processing thread is stuck, e.g. in a sink write
   * that blocks, or far behind); the wait goes on, since the snapshot still has to be taken, until
   * {@code maxConsecutiveFailures} is reached: then the app fails and this returns {@code null}.
   */
  private GroupSnapshot awaitBarrier(long cid, int i, CompletableFuture<GroupSnapshot> barrier)
      throws ExecutionException, InterruptedException {
    while (true) {
      try {
        return barrier.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        CheckpointException stuck =
            new CheckpointException(
                "slot group "
                    + i
                    + " has not reached the barrier within "
                    + timeout
                    + ": its processing thread is stuck in an operator or a sink, or far behind."
                    + " Find what it waits for (a thread dump names it sluice-<app>-process-…),"
                    + " or raise sluice.checkpoint.timeout if the pipeline is only slow");
        if (countFailure(cid, stuck)) {
          return null;
        }
      }
    }
  }

  private boolean failed(long cid, Throwable cause, List<TakenDelta> takenDeltas) {
    carriedDeltas.addAll(takenDeltas);
    countFailure(cid, cause);
    return false;
  }

  /**
   * Counts a failed checkpoint (or one more timeout waiting for a barrier); returns whether that
   * failed the app, at {@code maxConsecutiveFailures} in a row.
   */
  private boolean countFailure(long cid, Throwable cause) {
    failures.increment();
    consecutiveFailures++;
    LOG.warn(
        "[{}] checkpoint {} failed ({} in a row): {}",
        app,
        cid,
        consecutiveFailures,
        cause.toString());
    if (consecutiveFailures < maxConsecutiveFailures) {
      return false;
    }
    onFailure.accept(
        new CheckpointException(
            consecutiveFailures
                + " checkpoints in a row failed (sluice.checkpoint.maxConsecutiveFailures); last"
                + " cause: "
                + cause,
            cause));
    return true;
  }

  /**
   * Writes the checkpoint to the changelog before any of its output is committed, retrying through
   * an outage; false if the app is stopping before it succeeded (the next start writes it).
   */
  private boolean writeChangelog(long cid, CheckpointRecord record, List<StateDelta> deltas) {
    RuntimeException failure =
        Backoff.retry(
            () -> changelog.write(record, deltas),
            (e, backoff) -> {
              if (stopping) {
                return false;
              }
              if (changelog.isFenced(e)) {
                stop(); // nothing of this checkpoint, or any later one, may be committed
                onFailure.accept(
                    new OwnershipLostException(
                        "Checkpoint "
                            + cid
                            + " cannot be committed: another replica of app "
                            + app
                            + " took the changelog over ("
                            + e.getMessage()
                            + "). This instance stops without committing it; the other resumes"
                            + " from the newest committed checkpoint. Start this one again to"
                            + " stand by.",
                        e));
                return false;
              }
              commitRetries.increment();
              commitProblem = "the changelog write: " + e;
              LOG.warn(
                  "[{}] writing checkpoint {} to the changelog failed, retrying in {} ms: {}",
                  app,
                  cid,
                  backoff,
                  e.toString());
              return true;
            });
    return failure == null;
  }

  /**
   * Commits with retries; returns false if the app is stopping before all succeeded, or if a
   * committable was lost (then the app fails, and no later commit moves the cursors).
   */
  private boolean commitAll(long cid, List<SinkCommittable> committables) {
    for (SinkCommittable c : committables) {
      Committer committer = committers.get(c.sink());
      RuntimeException failure =
          Backoff.retry(
              () -> committer.commit(Committable.of(c.payload())),
              (e, backoff) -> {
                if (e instanceof CommitLostException) {
                  stop(); // no later commit moves the cursors past the lost output
                  onFailure.accept(
                      new CheckpointException(
                          "Checkpoint "
                              + cid
                              + " is complete, but sink "
                              + c.sink()
                              + " cannot commit its output: "
                              + e.getMessage()
                              + " The app stops, and the durable cursors stay before this"
                              + " checkpoint. "
                              + LostCommits.REMEDY,
                          e));
                  return false;
                }
                if (stopping) {
                  LOG.warn(
                      "[{}] commit of sink {} not done before close; it is re-committed on"
                          + " restart",
                      app,
                      c.sink());
                  return false;
                }
                commitRetries.increment();
                commitProblem = "the commit of sink " + c.sink() + ": " + e;
                LOG.warn(
                    "[{}] commit of sink {} failed, retrying in {} ms: {}",
                    app,
                    c.sink(),
                    backoff,
                    e.toString());
                return true;
              });
      if (failure != null) {
        return false;
      }
    }
    commitProblem = null;
    return true;
  }

  private void forgetPending(List<SinkCommittable> committed) {
    List<byte[]> handles = new ArrayList<>(committed.size());
    for (SinkCommittable c : committed) {
      handles.add(SinkRecovery.handleOf(c, committers));
    }
    List<StateStore.PendingHandle> done = new ArrayList<>();
    for (StateStore.PendingHandle h : store.pending()) {
      for (int i = 0; i < committed.size(); i++) {
        if (committed.get(i).sink().equals(h.sink()) && Arrays.equals(handles.get(i), h.handle())) {
          done.add(h);
        }
      }
    }
    store.removePending(done);
  }
}
