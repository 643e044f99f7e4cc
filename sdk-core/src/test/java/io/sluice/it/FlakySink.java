package io.sluice.it;

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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory two-phase sink whose prepare throws on every other call: data of a failed prepare
 * must stay in the writer and be committed with a later checkpoint, exactly once.
 */
final class FlakySink implements Sink<String> {
  final Map<Long, List<String>> staged = new ConcurrentHashMap<>();
  final List<String> committed = new CopyOnWriteArrayList<>();
  final AtomicInteger prepareCalls = new AtomicInteger();
  final AtomicInteger commits = new AtomicInteger();
  private final AtomicLong epochs = new AtomicLong();

  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public SinkWriter<String> createWriter(SinkContext context) {
    return new SinkWriter<>() {
      private List<String> buffer = new ArrayList<>();

      @Override
      public void write(String value) {
        buffer.add(value);
      }

      @Override
      public CompletableFuture<Committable> prepareCommit(long checkpointId) {
        if (prepareCalls.incrementAndGet() % 2 == 1) {
          throw new IllegalStateException("injected prepare failure at checkpoint " + checkpointId);
        }
        long epoch = epochs.incrementAndGet();
        staged.put(epoch, buffer);
        buffer = new ArrayList<>();
        return CompletableFuture.completedFuture(
            Committable.of(ByteBuffer.allocate(8).putLong(epoch).array()));
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
        List<String> batch = staged.remove(ByteBuffer.wrap(c.bytes()).getLong());
        if (batch != null) {
          committed.addAll(batch);
          commits.incrementAndGet();
        }
      }

      @Override
      public void abort(Committable c) {
        staged.remove(ByteBuffer.wrap(c.bytes()).getLong());
      }
    };
  }
}
