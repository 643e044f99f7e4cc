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
   * For a stop, once no checkpoint can complete any more: the handles the next start will abort —
   * every listed one of a sink the app has that {@code newest} does not hold (output prepared for
   * checkpoints that never completed). Aborting them at stop keeps them from holding readers back
   * meanwhile (an open Pulsar transaction blocks every reader of its topic until it ends).
   *
   * @param newest the newest complete checkpoint, or {@code null}
   */
  static List<StateStore.PendingHandle> unrecorded(
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
  static byte[] handleOf(CheckpointRecord.SinkCommittable c, Map<String, Committer> committers) {
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
}
