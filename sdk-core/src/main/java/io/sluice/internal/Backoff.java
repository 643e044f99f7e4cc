package io.sluice.internal;

/**
 * Retrying with exponential backoff (100 ms, doubled up to 5 s) until an action succeeds or the
 * caller gives up: the one loop behind the commit thread's sink commits and recovery's commits and
 * aborts, which differ only in when they give up and what they log.
 */
public final class Backoff {
  private Backoff() {}

  /** Told each failure and the coming pause; returns whether to try again. */
  @FunctionalInterface
  public interface OnFailure {
    boolean retryAfter(RuntimeException failure, long backoffMillis);
  }

  /**
   * Runs {@code action} until it succeeds; returns {@code null} then, or the last failure when
   * {@code onFailure} gave up or the thread was interrupted while waiting (its flag is set again).
   */
  public static RuntimeException retry(Runnable action, OnFailure onFailure) {
    long backoff = 100;
    while (true) {
      try {
        action.run();
        return null;
      } catch (RuntimeException e) {
        if (!onFailure.retryAfter(e, backoff)) {
          return e;
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return e;
        }
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }
}
