package io.sluice.sink;

import java.util.concurrent.CompletableFuture;

/**
 * Writes records of one slot group; runs on that group's processing thread only.
 *
 * <p>Two-phase commit: everything written since the last successful {@link #prepareCommit} belongs
 * to the next committable. {@link #prepareCommit} is called when the checkpoint barrier reaches
 * this writer:
 *
 * <ul>
 *   <li>throwing fails only this checkpoint: the writer must keep the data for the next one;
 *   <li>returning a future that later fails means prepared data is lost: the app fails and recovers
 *       from the last complete checkpoint;
 *   <li>a future of {@code null} means nothing to commit.
 * </ul>
 */
public interface SinkWriter<T> extends AutoCloseable {
  void write(T value);

  CompletableFuture<Committable> prepareCommit(long checkpointId);

  /** Releases resources; uncommitted output is left for {@link Committer#abort} on recovery. */
  @Override
  void close();
}
