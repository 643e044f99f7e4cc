package io.sluice.it;

import static io.sluice.it.PulsarFixture.admin;
import static io.sluice.it.PulsarFixture.broker;
import static io.sluice.it.PulsarFixture.produce;
import static io.sluice.it.PulsarFixture.uniqueTopic;
import static io.sluice.it.SourceIT.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
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
    try (Sluice app =
        Sluice.builder()
            .name("slots")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .slotGroup("hot", hot)
            .build()) {
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
      app.start();
      assertThat(app.slotGroups().get("hot"))
          .containsExactly(hot + "-partition-0", hot + "-partition-1");
      assertThat(app.slotGroups().get("default"))
          .containsExactly(cold + "-partition-0", cold + "-partition-1");
      await(
          "all counted",
          Duration.ofSeconds(60),
          () ->
              lastCount.getOrDefault(hot + "/k0", 0L) == 300
                  && lastCount.getOrDefault(cold + "/k0", 0L) == 50);
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
    runCounting(hot, cold, lastCount, 100);
    produce(hot, "h", 1000, 1000, 10);
    produce(cold, "c", 1000, 1000, 10);
    try (Sluice app = countingApp(hot, cold, lastCount)) {
      app.start();
      await(
          "second run counted",
          Duration.ofSeconds(60),
          () ->
              lastCount.getOrDefault(hot + "/k0", 0L) == 200
                  && lastCount.getOrDefault(cold + "/k0", 0L) == 200);
      CrashRecoveryIT.awaitNoBacklog(hot, "slots-restart", Duration.ofSeconds(30));
      CrashRecoveryIT.awaitNoBacklog(cold, "slots-restart", Duration.ofSeconds(30));
    }
  }

  private void runCounting(String hot, String cold, Map<String, Long> lastCount, long perKey)
      throws Exception {
    try (Sluice app = countingApp(hot, cold, lastCount)) {
      app.start();
      await(
          "first run counted",
          Duration.ofSeconds(60),
          () ->
              lastCount.getOrDefault(hot + "/k0", 0L) == perKey
                  && lastCount.getOrDefault(cold + "/k0", 0L) == perKey);
    }
  }

  private Sluice countingApp(String hot, String cold, Map<String, Long> lastCount) {
    Sluice app =
        Sluice.builder()
            .name("slots-restart")
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
            })
        .forEach(s -> {});
    return app;
  }
}
