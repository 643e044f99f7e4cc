package io.sluice.sink.internal;

import io.sluice.errors.SinkException;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries an idempotent call with exponential backoff for up to a time budget, so a server outage
 * shorter than the budget blocks the calling thread (on a writer: backpressure on the readers)
 * instead of failing the app. Only for calls whose repetition is harmless (every sink call retried
 * here writes by a deterministic key or is guarded on the server).
 */
public final class Retry {
  private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

  private final Duration timeout;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final SinkMetrics metrics;

  /**
   * @param timeout how long a failing call keeps being retried, from its first failure
   * @param initialBackoff the first pause, doubled after each failure
   * @param maxBackoff the longest pause (also how late a recovered server is noticed)
   * @param metrics counts retries and the errors given up on
   */
  public Retry(
      Duration timeout, Duration initialBackoff, Duration maxBackoff, SinkMetrics metrics) {
    this.timeout = timeout;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.metrics = metrics;
  }

  /**
   * Runs {@code call}; a failure that {@code retryable} accepts is retried until the timeout has
   * passed since the first failure. The last failure, or the first one not retryable, is thrown
   * unchanged and counted as an error.
   */
  public <R> R run(String what, Supplier<R> call, Predicate<RuntimeException> retryable) {
    long backoff = initialBackoff.toMillis();
    long deadline = 0;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.get();
      } catch (RuntimeException e) {
        long now = System.nanoTime();
        if (attempt == 1) {
          deadline = now + timeout.toNanos();
        }
        if (!retryable.test(e) || now - deadline >= 0) {
          metrics.error();
          throw e;
        }
        metrics.retry();
        LOG.warn(
            "{} failed (attempt {}; retrying for up to {} ms more), next try in {} ms: {}",
            what,
            attempt,
            Math.max(0, (deadline - now) / 1_000_000),
            backoff,
            e.toString());
        sleep(Math.min(backoff, Math.max(1, (deadline - now) / 1_000_000)), what);
        backoff = Math.min(backoff * 2, maxBackoff.toMillis());
      }
    }
  }

  private static void sleep(long millis, String what) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("interrupted while retrying " + what, e);
    }
  }
}
