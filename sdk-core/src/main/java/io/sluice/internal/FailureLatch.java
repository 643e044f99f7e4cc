package io.sluice.internal;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Keeps the first failure from any thread of an app, and tells the app once. The app rethrows it on
 * its owner's thread ({@code close()}).
 */
public final class FailureLatch {
  private final AtomicReference<Throwable> first = new AtomicReference<>();
  private final Consumer<Throwable> onFirst;

  public FailureLatch(Consumer<Throwable> onFirst) {
    this.onFirst = onFirst;
  }

  public void fail(Throwable t) {
    if (first.compareAndSet(null, t)) {
      onFirst.accept(t);
    }
  }

  public boolean failed() {
    return first.get() != null;
  }

  public Throwable cause() {
    return first.get();
  }
}
