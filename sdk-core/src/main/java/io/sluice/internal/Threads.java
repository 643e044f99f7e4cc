package io.sluice.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names threads {@code sluice-<app>-<role>-<n>} and creates them through the app's factory. */
public final class Threads {
  private Threads() {}

  public static ThreadFactory named(ThreadFactory base, String app, String role) {
    AtomicInteger n = new AtomicInteger();
    return runnable -> {
      Thread t = base.newThread(runnable);
      t.setName("sluice-" + app + "-" + role + "-" + n.getAndIncrement());
      return t;
    };
  }
}
