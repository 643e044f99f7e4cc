package io.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class FailureLatchTest {
  @Test
  void shouldTellTheFirstFailureOnceAndKeepLaterOnesAsSuppressed() {
    List<Throwable> told = new ArrayList<>();
    FailureLatch latch = new FailureLatch(told::add);
    IllegalStateException first = new IllegalStateException("sink down");
    IllegalArgumentException second = new IllegalArgumentException("decoder broke");
    latch.fail(first);
    latch.fail(second);
    latch.fail(second); // the same throwable reported by two paths counts once
    latch.fail(first);
    assertThat(told).containsExactly(first);
    assertThat(latch.cause()).isSameAs(first);
    assertThat(first.getSuppressed()).containsExactly(second);
  }

  @Test
  void shouldBoundTheSuppressedFailuresFromManyThreads() throws Exception {
    FailureLatch latch = new FailureLatch(t -> {});
    latch.fail(new IllegalStateException("first"));
    int threads = 8;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int n = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int j = 0; j < 100; j++) {
                  latch.fail(new RuntimeException("thread " + n + " failure " + j));
                }
              });
      t.start();
      started.add(t);
    }
    go.countDown();
    for (Thread t : started) {
      t.join();
    }
    assertThat(latch.cause().getSuppressed()).hasSize(FailureLatch.MAX_SUPPRESSED);
  }
}
