package io.sluice.internal.checkpoint;

import io.sluice.errors.ConfigException;
import io.sluice.errors.StateException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink half of recovery, shared by the runtime and the test driver: commit the restored
 * checkpoint's committables again (commit is idempotent) unless its commit is recorded as finished,
 * abort every other handle a writer registered before the crash — output prepared after that
 * checkpoint — and let each committer abort what its own durable records list beyond that ({@link
 * Committer#abortOrphans}).
 */
public final class SinkRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(SinkRecovery.class);

  private SinkRecovery() {}

  /**
   * @param checkpoint the restored checkpoint, or {@code null}
   * @param attempt runs one commit or abort, named for messages (the runtime retries through short
   *     outages)
   * @return how many handles were aborted
   */
  public static int recover(
      CheckpointRecord checkpoint,
      Map<String, Committer> committers,
      StateStore store,
      Path stateDir,
      BiConsumer<String, Runnable> attempt) {
    Set<String> committed = new HashSet<>();
    // Its commit finished before the stop: committing again is not needed, and may no longer be
    // possible (a sink's commit record can expire, e.g. Redis markers after their retention).
    boolean knownCommitted = checkpoint != null && store.committedThrough() >= checkpoint.id();
    if (checkpoint != null) {
      for (CheckpointRecord.SinkCommittable c : checkpoint.committables()) {
        Committer committer = committers.get(c.sink());
        if (committer == null) {
          throw new ConfigException(
              "Checkpoint "
                  + checkpoint.id()
                  + " holds output of sink '"
                  + c.sink()
                  + "', which this app no longer has. Add the sink back for one run, or delete"
                  + " the state directory "
                  + stateDir
                  + " to recover from the durable cursors.");
        }
        Committable committable = Committable.of(c.payload());
        if (!knownCommitted) {
          attempt.accept("commit of sink " + c.sink(), () -> committer.commit(committable));
        }
        committed.add(key(c.sink(), handleOf(c, committers)));
      }
    }
    List<StateStore.PendingHandle> pending = store.pending();
    int aborted = 0;
    for (StateStore.PendingHandle h : notIn(committed, committers, pending)) {
      Committer committer = committers.get(h.sink());
      Committable handle = Committable.of(h.handle());
      attempt.accept("abort of sink " + h.sink(), () -> committer.abort(handle));
      aborted++;
    }
    store.removePending(pending);
    for (Map.Entry<String, Committer> e : committers.entrySet()) {
      List<Committable> restored = new ArrayList<>();
      if (checkpoint != null) {
        for (CheckpointRecord.SinkCommittable c : checkpoint.committables()) {
          if (c.sink().equals(e.getKey())) {
            restored.add(Committable.of(c.payload()));
          }
        }
      }
      int[] orphans = {0};
      attempt.accept(
          "abort of orphaned output of sink " + e.getKey(),
          () -> orphans[0] = e.getValue().abortOrphans(restored));
      aborted += orphans[0];
    }
    return aborted;
  }

  /**
   * For a stop, once no checkpoint can complete any more: the handles the next start will abort —
   * every listed one of a sink the app has that {@code newest} does not hold (output prepared for
   * checkpoints that never completed). Aborting them at stop keeps them from holding readers back
   * meanwhile (an open Pulsar transaction blocks every reader of its topic until it ends).
   *
   * @param newest the newest complete checkpoint, or {@code null}
   */
  public static List<StateStore.PendingHandle> unrecorded(
      CheckpointRecord newest,
      Map<String, Committer> committers,
      List<StateStore.PendingHandle> pending) {
    Set<String> recorded = new HashSet<>();
    if (newest != null) {
      for (CheckpointRecord.SinkCommittable c : newest.committables()) {
        recorded.add(key(c.sink(), handleOf(c, committers)));
      }
    }
    return notIn(recorded, committers, pending);
  }

  /**
   * The pending handle a recorded committable finishes ({@link Committer#pendingHandleOf}); the
   * committable's own bytes for a sink the app no longer has.
   */
  public static byte[] handleOf(
      CheckpointRecord.SinkCommittable c, Map<String, Committer> committers) {
    Committer committer = committers.get(c.sink());
    return committer == null
        ? c.payload()
        : committer.pendingHandleOf(Committable.of(c.payload())).bytes();
  }

  /** The handles of sinks the app has whose keys are not in {@code keys}. */
  private static List<StateStore.PendingHandle> notIn(
      Set<String> keys, Map<String, Committer> committers, List<StateStore.PendingHandle> pending) {
    List<StateStore.PendingHandle> out = new ArrayList<>();
    for (StateStore.PendingHandle h : pending) {
      if (committers.containsKey(h.sink()) && !keys.contains(key(h.sink(), h.handle()))) {
        out.add(h);
      }
    }
    return out;
  }

  private static String key(String sink, byte[] bytes) {
    return sink + "/" + HexFormat.of().formatHex(bytes);
  }

  /**
   * Aborts output prepared for checkpoints that never completed ({@link SinkRecovery#unrecorded})
   * now rather than on the next start, so it does not hold readers back (an open Pulsar
   * transaction) or keep staged data meanwhile. The handles stay listed: the next start aborts them
   * again (aborts are idempotent), which also ends anything a writer that did not stop in time
   * creates afterwards. One try per handle, each sink on its own thread (one sink's server being
   * down, which may be why the app stops, must not keep another's output open), all waited for up
   * to {@code timeout} together.
   */
  public static void abortUnrecorded(
      String app,
      StateStore s,
      Map<String, Committer> committers,
      Function<String, ThreadFactory> threads,
      Duration timeout) {
    if (s == null || committers.isEmpty()) {
      return;
    }
    Map<String, List<Committable>> bySink = new TreeMap<>();
    try {
      for (StateStore.PendingHandle h :
          unrecorded(s.latestCheckpoint().orElse(null), committers, s.pending())) {
        bySink.computeIfAbsent(h.sink(), k -> new ArrayList<>()).add(Committable.of(h.handle()));
      }
    } catch (StateException e) {
      LOG.warn(
          "[{}] cannot list output of checkpoints that did not complete ({}); the next start"
              + " aborts it",
          app,
          e.getMessage());
      return;
    }
    List<Thread> aborters = new ArrayList<>();
    for (Map.Entry<String, List<Committable>> e : bySink.entrySet()) {
      Committer committer = committers.get(e.getKey());
      Thread t =
          threads
              .apply("abort-" + e.getKey())
              .newThread(() -> abortAll(app, e.getKey(), committer, e.getValue()));
      t.setDaemon(true);
      t.start();
      aborters.add(t);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : aborters) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (t.isAlive()) {
        LOG.warn(
            "[{}] {} still aborting after {}; the next start aborts what is left",
            app,
            t.getName(),
            timeout);
      }
    }
  }

  private static void abortAll(
      String app, String sink, Committer committer, List<Committable> handles) {
    int aborted = 0;
    RuntimeException failure = null;
    for (Committable handle : handles) {
      try {
        committer.abort(handle);
        aborted++;
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    if (failure != null) {
      LOG.warn(
          "[{}] sink {}: aborted {} of {} outputs of checkpoints that did not complete; the next"
              + " start aborts the rest (last error: {})",
          app,
          sink,
          aborted,
          handles.size(),
          failure.toString());
    } else {
      LOG.info(
          "[{}] sink {}: aborted {} outputs of checkpoints that did not complete",
          app,
          sink,
          aborted);
    }
  }
}
