package io.sluice.sink.internal;

import io.sluice.SinkException;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries an idempotent call with exponential backoff. Only for calls whose repetition is harmless
 * (every sink call retried here writes by a deterministic key or is guarded on the server).
 */
public final class Retry {
  private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;

  public Retry(int maxRetries, Duration initialBackoff, Duration maxBackoff) {
    this.maxRetries = maxRetries;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
  }

  /**
   * Runs {@code call}; a failure that {@code retryable} accepts is retried up to maxRetries times.
   * The last failure, or the first one not retryable, is thrown unchanged.
   */
  public <R> R run(String what, Supplier<R> call, Predicate<RuntimeException> retryable) {
    long backoff = initialBackoff.toMillis();
    for (int attempt = 0; ; attempt++) {
      try {
        return call.get();
      } catch (RuntimeException e) {
        if (attempt >= maxRetries || !retryable.test(e)) {
          throw e;
        }
        LOG.warn(
            "{} failed (attempt {} of {}), retrying in {} ms: {}",
            what,
            attempt + 1,
            maxRetries + 1,
            backoff,
            e.toString());
        sleep(backoff, what);
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
