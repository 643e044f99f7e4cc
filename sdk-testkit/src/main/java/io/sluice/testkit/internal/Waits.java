package io.sluice.testkit.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a readiness check until it passes, the process dies, or the deadline passes. */
public final class Waits {
  private Waits() {}

  public static void until(
      String what, Duration timeout, ManagedProcess process, BooleanSupplier ready) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (ready.getAsBoolean()) {
        return;
      }
      if (process != null && !process.isAlive()) {
        throw new IllegalStateException(
            what
                + " exited before it was ready; see "
                + process.logFile()
                + ". Last lines:\n"
                + process.logTail(40));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            what
                + " was not ready after "
                + timeout.toSeconds()
                + " s"
                + (process == null
                    ? ""
                    : "; see " + process.logFile() + ". Last lines:\n" + process.logTail(40)));
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }
}
