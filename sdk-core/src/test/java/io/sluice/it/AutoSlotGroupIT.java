package io.sluice.it;

import static io.sluice.it.PulsarFixture.admin;
import static io.sluice.it.PulsarFixture.broker;
import static io.sluice.it.PulsarFixture.uniqueTopic;
import static io.sluice.it.SourceIT.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.api.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Automatic slot groups are planned from the byte rates the broker measured. */
class AutoSlotGroupIT {
  @TempDir Path stateDir;

  @Test
  void shouldGiveTheHotTopicItsOwnGroupAndShareTheColdOnes() throws Exception {
    String prefix = uniqueTopic("auto");
    String hot = prefix + "-hot";
    admin().topics().createPartitionedTopic(hot, 2);
    for (int i = 0; i < 3; i++) {
      admin().topics().createNonPartitionedTopic(prefix + "-cold-" + i);
      PulsarFixture.produce(prefix + "-cold-" + i, "c", 0, 10, 5);
    }
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Void> load =
        CompletableFuture.runAsync(
            () -> {
              try (Producer<byte[]> p = PulsarFixture.client().newProducer().topic(hot).create()) {
                byte[] payload = new byte[1000];
                while (!stop.get()) {
                  for (int i = 0; i < 200; i++) {
                    p.sendAsync(payload);
                  }
                  p.flush();
                  Thread.sleep(20);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    try {
      await(
          "the broker's measured rate of " + hot,
          Duration.ofSeconds(30),
          () -> {
            try {
              return admin().topics().getPartitionedStats(hot, false).getMsgThroughputIn()
                  > 200_000;
            } catch (Exception e) {
              return false;
            }
          });
      LongAdder seen = new LongAdder();
      try (Sluice app =
          Sluice.builder()
              .name("auto")
              .pulsar(broker().serviceUrl(), broker().adminUrl())
              .stateDir(stateDir)
              .autoSlotGroups(100_000, 1)
              .build()) {
        app.stream(PulsarSource.topicsMatching(prefix + "-.*")).forEach(r -> seen.increment());
        app.start();
        assertThat(app.slotGroups().get("hot-0"))
            .containsExactly(hot + "-partition-0", hot + "-partition-1");
        assertThat(app.slotGroups().get("shared-0"))
            .containsExactlyInAnyOrder(prefix + "-cold-0", prefix + "-cold-1", prefix + "-cold-2");
        await("records from every group", Duration.ofSeconds(30), () -> seen.sum() > 1000);
        assertThat(
                app.meterRegistry()
                    .get("sluice.slotgroup.load.bytes.per.s")
                    .tag("group", "hot-0")
                    .gauge()
                    .value())
            .isGreaterThan(100_000);
      }
    } finally {
      stop.set(true);
      load.get(30, TimeUnit.SECONDS);
    }
  }
}
