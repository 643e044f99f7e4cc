package io.sluice.testkit;

/** A child that prints a numbered line every second, forever. */
public final class TickerMain {
  private TickerMain() {}

  public static void main(String[] args) throws InterruptedException {
    for (int i = 0; ; i++) {
      System.out.println("tick " + i);
      System.out.flush();
      Thread.sleep(1000);
    }
  }
}
