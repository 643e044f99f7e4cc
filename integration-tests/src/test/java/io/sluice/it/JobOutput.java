package io.sluice.it;

import io.sluice.Sluice;

/**
 * What the jobs the crash tests run as child JVMs print for them to follow: {@code RUNNING
 * layer=<recovery layer>} once started, {@code CHECKPOINT <id> partitions=<n>} every 200 ms while
 * running (the newest checkpoint and how many partitions the instance reads), {@code STOPPED
 * <state> <failure>} when the app stopped on its own (a fence, a lost commit).
 */
final class JobOutput {
  private JobOutput() {}

  /** Starts {@code app}, reports as above until it stops, then closes it. */
  static void runAndReport(Sluice app) throws InterruptedException {
    app.start();
    System.out.println("RUNNING layer=" + app.recoveryLayer());
    while (app.state() == Sluice.State.RUNNING) {
      System.out.println(
          "CHECKPOINT " + app.lastCompletedCheckpoint() + " partitions=" + app.partitions().size());
      Thread.sleep(200);
    }
    System.out.println("STOPPED " + app.state() + " " + app.failure().orElse(null));
    app.close();
  }
}
