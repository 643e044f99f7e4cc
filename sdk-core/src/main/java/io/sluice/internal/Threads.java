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

  /** Starts one daemon thread {@code sluice-<app>-<role>-0} running {@code task}. */
  public static void startDaemon(ThreadFactory base, String app, String role, Runnable task) {
    Thread t = named(base, app, role).newThread(task);
    t.setDaemon(true);
    t.start();
  }
}
