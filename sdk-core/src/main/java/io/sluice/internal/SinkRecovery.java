package io.sluice.internal;

import io.sluice.ConfigException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The sink half of recovery, shared by the runtime and the test driver: commit the restored
 * checkpoint's committables again (commit is idempotent), abort every other handle a writer
 * registered before the crash — output prepared after that checkpoint — and let each committer
 * abort what its own durable records list beyond that ({@link Committer#abortOrphans}).
 */
final class SinkRecovery {
  private SinkRecovery() {}

  /**
   * @param checkpoint the restored checkpoint, or {@code null}
   * @param attempt runs one commit or abort, named for messages (the runtime retries through short
   *     outages)
   * @return how many handles were aborted
   */
  static int recover(
      CheckpointRecord checkpoint,
      Map<String, Committer> committers,
      StateStore store,
      Path stateDir,
      BiConsumer<String, Runnable> attempt) {
    Set<String> committed = new HashSet<>();
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
        attempt.accept("commit of sink " + c.sink(), () -> committer.commit(committable));
        committed.add(key(c.sink(), committer.pendingHandleOf(committable).bytes()));
      }
    }
    int aborted = abortPendingExcept(committed, true, committers, store, attempt);
    for (Map.Entry<String, Committer> e : committers.entrySet()) {
      List<Committable> restored = new java.util.ArrayList<>();
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
   * At stop, once no checkpoint can complete any more: aborts the output the next start would abort
   * anyway — every handle a writer registered that the newest checkpoint does not hold (output
   * prepared for checkpoints that never completed, e.g. after a failed checkpoint or an app
   * failure). It would otherwise stay open until the app is started again: an open Pulsar
   * transaction holds back every reader of its topic until it ends. Committables of the newest
   * checkpoint are left alone: the next start commits them. If an abort fails, the pass ends and
   * the handles stay listed, for the next start (aborts are idempotent).
   *
   * @param newest the newest complete checkpoint, or {@code null}
   * @return how many handles were aborted (and are no longer listed)
   */
  static int abortUnrecorded(
      CheckpointRecord newest,
      Map<String, Committer> committers,
      StateStore store,
      BiConsumer<String, Runnable> attempt) {
    Set<String> recorded = new HashSet<>();
    if (newest != null) {
      for (CheckpointRecord.SinkCommittable c : newest.committables()) {
        Committer committer = committers.get(c.sink());
        byte[] handle =
            committer == null
                ? c.payload()
                : committer.pendingHandleOf(Committable.of(c.payload())).bytes();
        recorded.add(key(c.sink(), handle));
      }
    }
    return abortPendingExcept(recorded, false, committers, store, attempt);
  }

  /**
   * Aborts every listed pending handle of a sink the app has whose key is not in {@code keep}, and
   * unlists those aborted; with {@code unlistAll}, unlists every handle (recovery: the kept ones
   * were just committed). An abort that throws ends the pass with nothing unlisted; the exception
   * goes to the caller. Returns how many were aborted.
   */
  private static int abortPendingExcept(
      Set<String> keep,
      boolean unlistAll,
      Map<String, Committer> committers,
      StateStore store,
      BiConsumer<String, Runnable> attempt) {
    List<StateStore.PendingHandle> pending = store.pending();
    List<StateStore.PendingHandle> aborted = new ArrayList<>();
    for (StateStore.PendingHandle h : pending) {
      Committer committer = committers.get(h.sink());
      if (committer == null || keep.contains(key(h.sink(), h.handle()))) {
        continue;
      }
      Committable handle = Committable.of(h.handle());
      attempt.accept("abort of sink " + h.sink(), () -> committer.abort(handle));
      aborted.add(h);
    }
    store.removePending(unlistAll ? pending : aborted);
    return aborted.size();
  }

  private static String key(String sink, byte[] bytes) {
    return sink + "/" + HexFormat.of().formatHex(bytes);
  }
}
