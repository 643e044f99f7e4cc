package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.produce;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotGroupIT {
  @TempDir Path stateDir;

  @Test
  void shouldRunADeclaredSlotGroupOnItsOwnThreadWithItsOwnKeyedState() throws Exception {
    String hot = uniqueTopic("sg-hot");
    String cold = uniqueTopic("sg-cold");
    admin().topics().createPartitionedTopic(hot, 2);
    admin().topics().createPartitionedTopic(cold, 2);
    produce(hot, "h", 0, 3000, 10);
    produce(cold, "c", 0, 500, 10);

    Map<String, Long> lastCount = new ConcurrentHashMap<>();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    try (Sluice app = countingApp("slots", hot, cold, lastCount, threads)) {
      app.start();
      assertThat(app.slotGroups().get("hot"))
          .containsExactly(hot + "-partition-0", hot + "-partition-1");
      assertThat(app.slotGroups().get("default"))
          .containsExactly(cold + "-partition-0", cold + "-partition-1");
      awaitCounts(lastCount, hot, 300, cold, 50);
    }
    // the same key in both groups has its own state: 300 per key on hot, 50 per key on cold
    for (int k = 0; k < 10; k++) {
      assertThat(lastCount.get(hot + "/k" + k)).isEqualTo(300L);
      assertThat(lastCount.get(cold + "/k" + k)).isEqualTo(50L);
    }
    assertThat(threads)
        .containsExactlyInAnyOrder("sluice-slots-process-hot-0", "sluice-slots-process-default-0");
  }

  /**
   * Each group restores every partition's position but owns only its own: a checkpoint must take
   * each partition's position from the group that reads it, or a group's stale copy holds the
   * durable cursor back (and a restart would replay, i.e. duplicate, committed output).
   */
  @Test
  void shouldCheckpointEachPartitionsPositionFromItsOwnGroupAfterARestart() throws Exception {
    String hot = uniqueTopic("sg-restart-hot");
    String cold = uniqueTopic("sg-restart-cold");
    admin().topics().createPartitionedTopic(hot, 2);
    admin().topics().createPartitionedTopic(cold, 2);
    produce(hot, "h", 0, 1000, 10);
    produce(cold, "c", 0, 1000, 10);
    Map<String, Long> lastCount = new ConcurrentHashMap<>();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    try (Sluice app = countingApp("slots-restart", hot, cold, lastCount, threads)) {
      app.start();
      awaitCounts(lastCount, hot, 100, cold, 100);
    }
    produce(hot, "h", 1000, 1000, 10);
    produce(cold, "c", 1000, 1000, 10);
    try (Sluice app = countingApp("slots-restart", hot, cold, lastCount, threads)) {
      app.start();
      awaitCounts(lastCount, hot, 200, cold, 200);
      PulsarFixture.awaitNoBacklog(hot, "slots-restart", Duration.ofSeconds(30));
      PulsarFixture.awaitNoBacklog(cold, "slots-restart", Duration.ofSeconds(30));
    }
  }

  private static void awaitCounts(
      Map<String, Long> lastCount, String hot, long hotCount, String cold, long coldCount)
      throws Exception {
    // every key: the keys are spread over both partitions of a topic, read by separate readers
    Await.until(
        "counts " + hotCount + " and " + coldCount + " for every key",
        Duration.ofSeconds(60),
        () ->
            java.util.stream.IntStream.range(0, 10)
                .allMatch(
                    k ->
                        lastCount.getOrDefault(hot + "/k" + k, 0L) == hotCount
                            && lastCount.getOrDefault(cold + "/k" + k, 0L) == coldCount));
  }

  /** Counts records per topic and key in keyed state; the hot topic has a group of its own. */
  private Sluice countingApp(
      String name, String hot, String cold, Map<String, Long> lastCount, Set<String> threads) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .slotGroup("hot", hot)
            .build();
    app.stream(PulsarSource.topics(hot, cold))
        .keyBy(SourceRecord::key, Serde.strings())
        .<String>process(
            (r, ctx, out) -> {
              ValueState<Long> n = ctx.valueState("count", Serde.longs());
              long next = n.value() == null ? 1 : n.value() + 1;
              n.update(next);
              lastCount.merge(r.topic() + "/" + r.key(), next, Math::max);
              threads.add(Thread.currentThread().getName());
            })
        .forEach(s -> {});
    return app;
  }
}
