package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The recovery benchmark's app, in its own JVM: a keyed count per record key (state in RocksDB)
 * over every topic matching a pattern, no sink. Prints {@code RUNNING <epoch ms>} once {@code
 * start()} returned, {@code FIRST <epoch ms>} at its first processed record, then {@code PROCESSED
 * <count>} every 100 ms.
 *
 * <p>Args: serviceUrl adminUrl regex stateDir
 */
public final class RecoveryApp {
  private RecoveryApp() {}

  public static void main(String[] args) throws Exception {
    AtomicLong processed = new AtomicLong();
    AtomicLong first = new AtomicLong();
    try (Sluice app =
        Sluice.builder()
            .name("bench-recovery")
            .pulsar(args[0], args[1])
            .stateDir(Path.of(args[3]))
            .checkpointInterval(Duration.ofSeconds(1))
            .partitionMeters(false)
            .build()) {
      app.stream(PulsarSource.topicsMatching(args[2]))
          .keyBy(SourceRecord::key, Serde.strings())
          .<String>process(
              (r, ctx, out) -> {
                ValueState<Long> count = ctx.valueState("count", Serde.longs());
                Long n = count.value();
                count.update(n == null ? 1 : n + 1);
                if (processed.incrementAndGet() == 1) {
                  first.set(System.currentTimeMillis());
                }
              })
          .forEach(x -> {});
      app.start();
      System.out.println("RUNNING " + System.currentTimeMillis());
      boolean firstPrinted = false;
      while (app.state() == Sluice.State.RUNNING) {
        if (!firstPrinted && first.get() > 0) {
          System.out.println("FIRST " + first.get());
          firstPrinted = true;
        }
        System.out.println("PROCESSED " + processed.get());
        Thread.sleep(100);
      }
    }
  }
}
