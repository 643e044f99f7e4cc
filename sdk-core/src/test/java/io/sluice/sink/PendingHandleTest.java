package io.sluice.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.testing.TestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink whose committable is more than the handle it registered (the handle, then what the batch
 * wrote, as the HDFS sink's batch id and file names): committed batches must be forgotten and never
 * aborted, and only output that no checkpoint holds is aborted after a crash.
 */
class PendingHandleTest {
  @TempDir Path dir;

  /** Registers {@code b<n>} before a batch's first record; prepares {@code b<n>|v1,v2,…}. */
  static final class GrowingSink implements Sink<SourceRecord> {
    final List<String> commits = new CopyOnWriteArrayList<>();
    final List<String> aborts = new CopyOnWriteArrayList<>();
    private final AtomicInteger batches = new AtomicInteger();

    @Override
    public String name() {
      return "growing";
    }

    @Override
    public SinkWriter<SourceRecord> createWriter(SinkContext context) {
      return new SinkWriter<>() {
        private StringBuilder batch;

        @Override
        public void write(SourceRecord value) {
          if (batch == null) {
            String handle = "b" + batches.incrementAndGet();
            context.registerPending(Committable.of(bytes(handle)));
            batch = new StringBuilder(handle).append('|');
          } else {
            batch.append(',');
          }
          batch.append(new String(value.value(), StandardCharsets.UTF_8));
        }

        @Override
        public CompletableFuture<Committable> prepareCommit(long checkpointId) {
          Committable c = batch == null ? null : Committable.of(bytes(batch.toString()));
          batch = null;
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
          commits.add(string(c));
        }

        @Override
        public void abort(Committable c) {
          aborts.add(string(c));
        }

        @Override
        public Committable pendingHandleOf(Committable c) {
          String s = string(c);
          return Committable.of(bytes(s.substring(0, s.indexOf('|'))));
        }
      };
    }

    private static byte[] bytes(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(Committable c) {
      return new String(c.bytes(), StandardCharsets.UTF_8);
    }
  }

  private static void build(TestDriver driver, GrowingSink sink) {
    driver.stream(PulsarSource.topics("in")).sinkTo(sink);
    driver.start();
  }

  @Test
  void shouldForgetCommittedHandlesAndAbortOnlyOutputNoCheckpointHolds() {
    GrowingSink sink = new GrowingSink();
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      driver.send("in", 0, "k", "x1", 1);
      driver.send("in", 0, "k", "x2", 2);
      driver.checkpoint();
      driver.send("in", 0, "k", "y1", 3);
      driver.checkpoint();
      driver.send("in", 0, "k", "z1", 4); // batch 3: registered, never checkpointed
    } // killed
    assertThat(sink.commits).containsExactly("b1|x1,x2", "b2|y1");
    assertThat(sink.aborts).isEmpty();

    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      // recovery commits the restored checkpoint's batch again and aborts only batch 3
      assertThat(sink.commits).containsExactly("b1|x1,x2", "b2|y1", "b2|y1");
      assertThat(sink.aborts).containsExactly("b3");
      driver.send("in", 0, "k", "w1", 5);
      driver.checkpoint();
    }
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      // b1, b2 and b4 were forgotten once committed; b3 once aborted
      assertThat(sink.aborts).containsExactly("b3");
      assertThat(sink.commits).endsWith("b4|w1", "b4|w1");
    }
  }
}
