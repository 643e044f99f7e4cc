package io.sluice.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.internal.graph.JobGraph;
import io.sluice.sink.GrowingSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.stream.DataStream;
import io.sluice.stream.internal.Streams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits run behind the checkpoints: a process killed after checkpoint 2 is recorded but while
 * checkpoint 1's commit still runs must, on restart, commit checkpoint 1's output too (the record
 * of checkpoint 2 lists it), before checkpoint 2's, and abort nothing that a checkpoint holds.
 */
class AsyncCommitTest {
  private static final String IN = "persistent://public/default/in";

  @TempDir Path dir;

  /** Blocks the first commit of batch 1 until released, as a slow transaction commit would. */
  static final class SlowFirstCommit extends GrowingSink {
    final CountDownLatch committing = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicBoolean blocked =
        new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    protected void beforeCommit(String committable) {
      if (committable.startsWith("b1|") && blocked.compareAndSet(false, true)) {
        committing.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private DriverRuntime runtime(GrowingSink sink, ExecutorService commits) {
    JobGraph graph = new JobGraph();
    Streams.<DataStream<SourceRecord>>dataStream(graph.addSource(PulsarSource.topics("in")))
        .sinkTo(sink);
    DriverRuntime runtime = new DriverRuntime("async", graph, dir, new SimpleMeterRegistry());
    if (commits != null) {
      runtime.commitOn(commits);
    }
    runtime.start();
    return runtime;
  }

  /** Polls {@code done} for up to 10 s; the caller asserts what it expects afterwards. */
  private static void awaitUpTo10s(java.util.function.BooleanSupplier done)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  private static void send(DriverRuntime runtime, String value) throws Exception {
    runtime.send(IN, -1, "k", value.getBytes(StandardCharsets.UTF_8), 1, Map.of());
  }

  @Test
  void shouldCommitTheOutputOfACheckpointWhoseCommitWasCutShortByACrash() throws Exception {
    SlowFirstCommit sink = new SlowFirstCommit();
    ExecutorService commits = Executors.newSingleThreadExecutor();
    try {
      DriverRuntime first = runtime(sink, commits);
      send(first, "x1");
      first.checkpoint(); // recorded; its commit starts on the commit thread and hangs
      assertThat(sink.committing.await(10, TimeUnit.SECONDS)).isTrue();
      send(first, "y1");
      // Checkpoint 2 is recorded, then waits for checkpoint 1's commit (one commit behind).
      CompletableFuture<Long> second = CompletableFuture.supplyAsync(first::checkpoint);
      awaitUpTo10s(() -> first.lastCompletedCheckpoint() >= 2);
      assertThat(first.lastCompletedCheckpoint()).isEqualTo(2);
      assertThat(second).isNotDone();
      assertThat(sink.commits).isEmpty();
      first.close(); // killed: checkpoint 1's commit never finished, 2's never started

      DriverRuntime restarted = runtime(sink, null);
      assertThat(sink.commits).containsExactly("b1|x1", "b2|y1");
      assertThat(sink.aborts).isEmpty();
      restarted.close();
    } finally {
      sink.release.countDown();
      commits.shutdownNow();
    }
  }

  @Test
  void shouldForgetCommittedHandlesAndAdvanceCursorsOnceTheCommitThreadIsDone() throws Exception {
    GrowingSink sink = new GrowingSink();
    ExecutorService commits = Executors.newSingleThreadExecutor();
    try {
      DriverRuntime runtime = runtime(sink, commits);
      for (int i = 1; i <= 3; i++) {
        send(runtime, "v" + i);
        runtime.checkpoint();
      }
      awaitUpTo10s(() -> sink.commits.size() >= 3);
      assertThat(sink.commits).containsExactly("b1|v1", "b2|v2", "b3|v3");
      runtime.close();
      DriverRuntime restarted = runtime(sink, null);
      // the restored checkpoint (3) was committed before the stop, and that is recorded: recovery
      // commits nothing again
      assertThat(sink.commits).containsExactly("b1|v1", "b2|v2", "b3|v3");
      assertThat(sink.aborts).isEmpty();
      restarted.close();
    } finally {
      commits.shutdownNow();
    }
  }
}
