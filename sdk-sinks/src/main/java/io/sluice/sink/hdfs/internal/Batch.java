package io.sluice.sink.hdfs.internal;

import io.sluice.sink.internal.BatchId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.Path;

/**
 * A writer's output between two checkpoints: its id, the part files it created, and the closing of
 * those handed to the finisher. The processing thread adds parts until the barrier; after that only
 * the finisher touches the batch. Part numbers are atomic because the finisher numbers the files it
 * rewrites after a broken pipeline while the processing thread may still create parts.
 */
final class Batch {
  private final BatchId id;
  private final AtomicInteger nextPart = new AtomicInteger();
  private final List<PartFile<?>> parts = new ArrayList<>();
  private final List<CompletableFuture<Void>> closing = new ArrayList<>();
  private boolean registered;

  Batch(BatchId id) {
    this.id = id;
  }

  BatchId id() {
    return id;
  }

  /** Whether the batch was recorded as pending (done before its first file is created). */
  boolean registered() {
    return registered;
  }

  void markRegistered() {
    registered = true;
  }

  int nextPartNumber() {
    return nextPart.getAndIncrement();
  }

  /** Records a part handed to the finisher and the future of its closing. */
  void closing(PartFile<?> part, CompletableFuture<Void> closed) {
    parts.add(part);
    closing.add(closed);
  }

  boolean isEmpty() {
    return parts.isEmpty();
  }

  /** Completes when every part handed over so far is durably closed (or fails with the first). */
  CompletableFuture<Void> allClosed() {
    return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new));
  }

  /** The current paths of the batch's parts (a rewritten part has a new one). */
  List<Path> paths() {
    List<Path> paths = new ArrayList<>(parts.size());
    parts.forEach(p -> paths.add(p.path()));
    return paths;
  }

  @Override
  public String toString() {
    return id.toString();
  }
}
