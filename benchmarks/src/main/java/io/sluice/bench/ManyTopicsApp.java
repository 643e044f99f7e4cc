package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The many-topics benchmark's app, in its own JVM as a user's would run: reads every topic matching
 * a pattern, binds the JSON and counts. Prints, in ms since {@code main()}: {@code FIRST} (first
 * record processed), {@code RUNNING} ({@code start()} returned) and {@code DONE} (the expected
 * count reached), then {@link ManyTopicsStats} and {@code CLOSED <ms close() took>}.
 *
 * <p>Args: serviceUrl adminUrl regex expected stateDir
 */
public final class ManyTopicsApp {
  private ManyTopicsApp() {}

  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    long expected = Long.parseLong(args[3]);
    LongAdder count = new LongAdder();
    AtomicLong first = new AtomicLong();
    Sluice app =
        Sluice.builder()
            .name("bench-manytopics")
            .pulsar(args[0], args[1])
            .stateDir(Path.of(args[4]))
            .checkpointInterval(Duration.ofSeconds(1))
            .build();
    app.stream(
            PulsarSource.topicsMatching(args[2]).subscription("bench-manytopics"),
            RecordDecoder.json(ThroughputBench.Event.class))
        .map(e -> e.user)
        .forEach(
            u -> {
              if (first.get() == 0) {
                first.compareAndSet(0, System.nanoTime());
              }
              count.increment();
            });
    app.start();
    long running = System.nanoTime();
    while (count.sum() < expected) {
      Thread.sleep(1);
    }
    long done = System.nanoTime();
    System.out.println("FIRST " + ms(first.get() - t0));
    System.out.println("RUNNING " + ms(running - t0));
    System.out.println("DONE " + ms(done - t0));
    ManyTopicsStats.print();
    long closing = System.nanoTime();
    app.close();
    System.out.println("CLOSED " + ms(System.nanoTime() - closing));
  }

  static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
