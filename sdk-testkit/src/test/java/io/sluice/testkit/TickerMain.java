package io.sluice.testkit;

/** A child that prints a numbered line every second, forever, and "shutdown hook" on SIGTERM. */
public final class TickerMain {
  private TickerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> System.out.println("shutdown hook"), "ticker-hook"));
    for (int i = 0; ; i++) {
      System.out.println("tick " + i);
      System.out.flush();
      Thread.sleep(1000);
    }
  }
}
