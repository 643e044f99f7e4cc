package io.sluice.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Polls a condition until it holds: the one wait of the test kit, for tests and benchmarks.
 *
 * <pre>{@code
 * Await.until("2500 records", Duration.ofSeconds(60), () -> seen.size() == 2500);
 * }</pre>
 */
public final class Await {
  private static final long POLL_MILLIS = 50;

  private Await() {}

  /**
   * Returns once {@code condition} is true, checking it every 50 ms.
   *
   * @throws AssertionError naming {@code what} when it is still false after {@code timeout}, or
   *     when the waiting thread is interrupted (its interrupt flag is set again)
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    Objects.requireNonNull(what, "what must not be null");
    Objects.requireNonNull(timeout, "timeout must not be null");
    Objects.requireNonNull(condition, "condition must not be null");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }
}
