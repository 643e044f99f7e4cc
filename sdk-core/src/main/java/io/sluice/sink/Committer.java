package io.sluice.sink;

import java.util.Collection;

/**
 * Makes prepared output visible, or throws it away. Runs on the app's commit thread, after the
 * checkpoint holding the committable is durable (committables of successive checkpoints in order,
 * possibly while writers already prepare the next checkpoint), and on recovery. Both methods must
 * be idempotent: after a crash a committable may be committed again, or aborted when it was never
 * prepared.
 */
public interface Committer extends AutoCloseable {
  void commit(Committable committable);

  void abort(Committable committable);

  /**
   * Ends output an earlier run prepared that the local state no longer lists — when the state
   * directory was lost or damaged, its list of prepared handles went with it. A committer that
   * keeps its own durable record of prepared output (the Pulsar sink keeps a transaction journal in
   * Pulsar) aborts here every such handle that is not in {@code restored}. Called once at start-up,
   * after the restored checkpoint's committables were committed again and the locally listed ones
   * aborted, before any writer of this run exists. Must be idempotent.
   *
   * @param restored the committables of the restored checkpoint for this sink (empty when there is
   *     none); they are committed and must stay so
   * @return how many handles were aborted
   */
  default int abortOrphans(Collection<Committable> restored) {
    return 0;
  }

  /**
   * The pending handle (see {@link SinkContext#registerPending}) that {@code committable} finishes:
   * once the committable is committed the runtime forgets that handle, and recovery does not abort
   * it. The default is the committable itself, for sinks that register exactly the bytes they later
   * prepare (a transaction id). A sink whose committable grows while the batch is written (e.g. the
   * names of the files it created) registers a short id first and returns that id here.
   */
  default Committable pendingHandleOf(Committable committable) {
    return committable;
  }

  @Override
  default void close() {}
}
