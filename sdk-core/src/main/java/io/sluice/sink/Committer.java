package io.sluice.sink;

/**
 * Makes prepared output visible, or throws it away. Runs on the checkpoint thread, after the
 * checkpoint holding the committable is durable, and on recovery. Both methods must be idempotent:
 * after a crash a committable may be committed again, or aborted when it was never prepared.
 */
public interface Committer extends AutoCloseable {
  void commit(Committable committable);

  void abort(Committable committable);

  @Override
  default void close() {}
}
