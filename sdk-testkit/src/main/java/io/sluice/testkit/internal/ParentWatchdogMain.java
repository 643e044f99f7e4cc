package io.sluice.testkit.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Optional;

/**
 * Entry point of every child JVM the test kit starts: it runs the real main class and halts the
 * child as soon as the JVM that started it is gone.
 *
 * <p>Why: a JVM shutdown hook cannot run when the owner is killed with SIGKILL (or when a test run
 * is aborted), and an orphaned broker would keep its ports and memory forever. Polling the parent
 * pid covers every way the owner can die. A parent pid of {@code 0} disables the watchdog (used by
 * the command-line launcher, whose child must outlive it).
 *
 * <p>Usage: {@code java -cp ... ParentWatchdogMain <parentPid> <mainClass> [args...]}
 */
public final class ParentWatchdogMain {
  private static final long POLL_MILLIS = 500;

  private ParentWatchdogMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 2) {
      throw new IllegalArgumentException(
          "usage: ParentWatchdogMain <parentPid|0> <mainClass> [args...]");
    }
    long parentPid = Long.parseLong(args[0]);
    if (parentPid > 0) {
      startWatchdog(parentPid);
    }
    Class<?> mainClass = Class.forName(args[1]);
    Method main = mainClass.getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void startWatchdog(long parentPid) {
    Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
    if (parent.isEmpty() || !parent.get().isAlive()) {
      Runtime.getRuntime().halt(143);
    }
    ProcessHandle handle = parent.get();
    Thread watchdog =
        new Thread(
            () -> {
              while (true) {
                if (!handle.isAlive()) {
                  System.err.println("sluice-testkit: parent " + parentPid + " is gone; halting");
                  Runtime.getRuntime().halt(143);
                }
                try {
                  Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "sluice-testkit-parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
