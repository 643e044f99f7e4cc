package io.sluice.internal;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Keeps the first failure from any thread of an app, and tells the app once; the app rethrows it on
 * its owner's thread ({@code close()}). Failures from other threads that follow are added to it as
 * suppressed (the first {@value #MAX_SUPPRESSED}; the same throwable once), so a second,
 * independent cause is not lost behind the first.
 */
public final class FailureLatch {
  static final int MAX_SUPPRESSED = 10;

  private final AtomicReference<Throwable> first = new AtomicReference<>();
  private final Consumer<Throwable> onFirst;

  public FailureLatch(Consumer<Throwable> onFirst) {
    this.onFirst = onFirst;
  }

  public void fail(Throwable t) {
    if (first.compareAndSet(null, t)) {
      onFirst.accept(t);
      return;
    }
    Throwable head = first.get();
    if (t == head || t == null) {
      return;
    }
    synchronized (head) {
      for (Throwable s : head.getSuppressed()) {
        if (s == t) {
          return;
        }
      }
      if (head.getSuppressed().length < MAX_SUPPRESSED) {
        head.addSuppressed(t);
      }
    }
  }

  public boolean failed() {
    return first.get() != null;
  }

  public Throwable cause() {
    return first.get();
  }
}
