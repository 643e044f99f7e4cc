package io.sluice.it;

import io.sluice.errors.CommitLostException;
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
 * An in-memory two-phase sink that misbehaves in one of three ways. {@link
 * #failingEveryOtherPrepare}: prepare throws on every other call, so data of a failed prepare must
 * stay in the writer and be committed with a later checkpoint, exactly once. {@link
 * #failingEveryPrepare}: prepare always throws, so no checkpoint completes. {@link
 * #withCommitOutages}: commits throw while {@link #commitsDown} is set. {@link #losingSecondBatch}:
 * the second non-empty batch can never be committed (its commit throws {@link
 * CommitLostException}), in this run or any later one using the same instance.
 */
final class FlakySink implements Sink<String> {
  final Map<Long, List<String>> staged = new ConcurrentHashMap<>();
  final List<String> committed = new CopyOnWriteArrayList<>();
  final AtomicInteger prepareCalls = new AtomicInteger();
  final AtomicInteger commits = new AtomicInteger();

  /** While set, every commit throws, as when the sink's server is down. */
  volatile boolean commitsDown;

  /** The batch whose commit is lost (0: none yet). */
  final AtomicLong lost = new AtomicLong();

  private final AtomicLong epochs = new AtomicLong();

  /** Every how many prepares one throws (0: none). */
  private final int failEvery;

  private final boolean loseSecondBatch;

  private FlakySink(int failEvery, boolean loseSecondBatch) {
    this.failEvery = failEvery;
    this.loseSecondBatch = loseSecondBatch;
  }

  static FlakySink failingEveryOtherPrepare() {
    return new FlakySink(2, false);
  }

  static FlakySink failingEveryPrepare() {
    return new FlakySink(1, false);
  }

  /** Prepares and commits normally, except that commits throw while {@link #commitsDown}. */
  static FlakySink withCommitOutages() {
    return new FlakySink(0, false);
  }

  static FlakySink losingSecondBatch() {
    return new FlakySink(0, true);
  }

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
        int call = prepareCalls.incrementAndGet();
        if (failEvery > 0 && (call - 1) % failEvery == 0) {
          throw new IllegalStateException("injected prepare failure at checkpoint " + checkpointId);
        }
        if (loseSecondBatch && buffer.isEmpty()) {
          return CompletableFuture.completedFuture(null);
        }
        long epoch = epochs.incrementAndGet();
        if (loseSecondBatch && epoch == 2) {
          lost.set(epoch);
        }
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
        if (commitsDown) {
          throw new IllegalStateException("injected: the sink's server is down");
        }
        long epoch = ByteBuffer.wrap(c.bytes()).getLong();
        if (epoch == lost.get()) {
          throw new CommitLostException(
              "batch " + epoch + " is gone", new IllegalStateException("injected"));
        }
        List<String> batch = staged.remove(epoch);
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
