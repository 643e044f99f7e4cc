package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica of the scale-out benchmark's app, in its own JVM: a keyed count per record key (state
 * in RocksDB and the changelog), no sink. Prints {@code RUNNING <epoch ms>} once active and
 * recovered, {@code FIRST <epoch ms>} when it processes its first record, then {@code PROCESSED
 * <count>} every 100 ms.
 *
 * <p>Args: serviceUrl adminUrl topic app instance stateDir shards
 */
public final class ScaleOutReplica {
  private ScaleOutReplica() {}

  public static void main(String[] args) throws Exception {
    AtomicLong processed = new AtomicLong();
    AtomicLong first = new AtomicLong();
    try (Sluice app =
        Sluice.builder()
            .name(args[3])
            .instanceName(args[4])
            .pulsar(args[0], args[1])
            .stateDir(Path.of(args[5]))
            .shards(Integer.parseInt(args[6]))
            .checkpointInterval(Duration.ofMillis(500))
            .discoveryInterval(Duration.ZERO)
            .build()) {
      app.stream(PulsarSource.topics(args[2]))
          .keyBy(r -> r.key(), Serde.strings())
          .inputPartitionedByKey() // produced keyed: the key routes the partition
          .<String>process(
              (r, ctx, out) -> {
                ValueState<Long> count = ctx.valueState("count", Serde.longs());
                count.update(count.value() == null ? 1 : count.value() + 1);
                if (processed.incrementAndGet() == 1) {
                  first.set(System.currentTimeMillis());
                }
              })
          .forEach(x -> {});
      app.start();
      System.out.println("RUNNING " + System.currentTimeMillis() + " " + app.recoveryLayer());
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
