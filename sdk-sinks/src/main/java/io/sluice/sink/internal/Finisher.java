package io.sluice.sink.internal;

import io.sluice.sink.SinkContext;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A writer's small pool of daemon threads ({@code sluice-<app>-<sink>-finisher-<writer>-<n>}) that
 * finish a batch off the processing thread (sync and close files, wait for the last insert) while
 * the next batch is written. Idle threads end after 30 s.
 */
public final class Finisher implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(Finisher.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ThreadPoolExecutor pool;
  private final String sink;

  public Finisher(SinkContext context, String sink, int threads) {
    this.sink = sink;
    String name =
        "sluice-" + context.appName() + "-" + sink + "-finisher-" + context.writerIndex() + "-";
    this.pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, name + THREADS.getAndIncrement());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable task) {
    pool.execute(task);
  }

  /**
   * Lets the work handed over so far complete (a checkpoint may still wait for it), for up to
   * {@code timeout}; then interrupts what is left.
   */
  public void close(Duration timeout) {
    pool.shutdown();
    try {
      if (!pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("sink {}: closing with a batch still being finished", sink);
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.shutdownNow();
    }
  }
}
