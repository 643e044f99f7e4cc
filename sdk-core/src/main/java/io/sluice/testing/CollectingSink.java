package io.sluice.testing;

import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory two-phase sink for tests: records become visible in {@link #committed()} only when
 * the checkpoint holding them completes, exactly like a transactional sink. Reuse one instance
 * across a "crash" (a new driver on the same state directory) to check exactly-once output.
 */
public final class CollectingSink<T> implements Sink<T> {
  private final String name;
  private final Map<Long, List<T>> staged = new ConcurrentHashMap<>();
  private final List<T> committed = new CopyOnWriteArrayList<>();
  private final AtomicLong batches = new AtomicLong();

  public CollectingSink(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  /** Everything committed so far, in commit order. */
  public List<T> committed() {
    return List.copyOf(committed);
  }

  @Override
  public SinkWriter<T> createWriter(SinkContext context) {
    return new SinkWriter<>() {
      private List<T> buffer = new ArrayList<>();
      private long batch = -1;

      @Override
      public void write(T value) {
        if (batch < 0) {
          batch = batches.incrementAndGet();
          context.registerPending(handle(batch));
        }
        buffer.add(value);
      }

      @Override
      public CompletableFuture<Committable> prepareCommit(long checkpointId) {
        if (batch < 0) {
          return CompletableFuture.completedFuture(null);
        }
        staged.put(batch, buffer);
        Committable c = handle(batch);
        buffer = new ArrayList<>();
        batch = -1;
        return CompletableFuture.completedFuture(c);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    return new Committer() {
      @Override
      public void commit(Committable c) {
        List<T> batch = staged.remove(ByteBuffer.wrap(c.bytes()).getLong());
        if (batch != null) {
          committed.addAll(batch);
        }
      }

      @Override
      public void abort(Committable c) {
        staged.remove(ByteBuffer.wrap(c.bytes()).getLong());
      }
    };
  }

  private static Committable handle(long batch) {
    return Committable.of(ByteBuffer.allocate(8).putLong(batch).array());
  }
}
