package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
      Await.until(
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
        Await.until("records from every group", Duration.ofSeconds(30), () -> seen.sum() > 1000);
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

  /**
   * A stateless pipeline regroups while running: a topic that becomes hot gets its own group, and
   * goes back to the shared group once it cools down; across both regroups every record reaches the
   * transactional output exactly once.
   */
  @Test
  void shouldRegroupWhileRunningWithoutLosingOrRepeatingARecord() throws Exception {
    String prefix = uniqueTopic("regroup");
    String hot = prefix + "-a";
    String output = uniqueTopic("regroup-out");
    admin().topics().createPartitionedTopic(hot, 2);
    admin().topics().createNonPartitionedTopic(prefix + "-b");
    admin().topics().createNonPartitionedTopic(prefix + "-c");
    admin().topics().createNonPartitionedTopic(output);
    AtomicInteger sent = new AtomicInteger();
    try (Sluice app =
        Sluice.builder()
            .name("regroup")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .autoSlotGroups(100_000, 1)
            .regroupInterval(Duration.ofSeconds(1))
            .build()) {
      app.stream(PulsarSource.topicsMatching(prefix + "-.*"))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .sinkTo(
              PulsarSink.<String>builder()
                  .topic(output)
                  .serializer(v -> v.getBytes(StandardCharsets.UTF_8))
                  .build());
      app.start();
      assertThat(app.slotGroups()).doesNotContainKey("hot-0");

      // ~500 kB/s on the hot topic (1 kB records) and a trickle on the others, until it regroups
      AtomicBoolean stop = new AtomicBoolean();
      CompletableFuture<Void> load =
          CompletableFuture.runAsync(() -> produceLoad(prefix, stop, sent));
      try {
        Await.until(
            "the hot topic in a group of its own",
            Duration.ofSeconds(60),
            () -> app.slotGroups().getOrDefault("hot-0", List.of()).size() == 2);
      } finally {
        stop.set(true);
        load.get(30, TimeUnit.SECONDS);
      }
      assertThat(app.slotGroups().get("hot-0"))
          .containsExactly(hot + "-partition-0", hot + "-partition-1");
      assertThat(
              app.meterRegistry()
                  .get("sluice.slotgroup.topics")
                  .tag("group", "hot-0")
                  .gauge()
                  .value())
          .isEqualTo(1.0);
      // quiet now: the rate falls below half the threshold and it shares again
      Await.until(
          "the cooled topic back in the shared group",
          Duration.ofSeconds(60),
          () -> !app.slotGroups().containsKey("hot-0"));
      PulsarFixture.produce(prefix + "-b", "tail", 0, 100, 5);
      sent.addAndGet(100);
      assertThat(app.meterRegistry().get("sluice.slotgroup.regroups").counter().count())
          .isGreaterThanOrEqualTo(2);

      Map<String, Integer> perRecord = new HashMap<>();
      List<String> out = List.of();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < sent.get() && System.nanoTime() < deadline) {
        Thread.sleep(500);
        out = PulsarFixture.readAll(output);
      }
      for (String line : out) {
        perRecord.merge(
            line.substring(0, Math.min(line.length(), 24)).split("\\|")[0], 1, Integer::sum);
      }
      assertThat(perRecord).hasSize(sent.get());
      assertThat(out).hasSize(sent.get());
    }
  }

  private static void produceLoad(String prefix, AtomicBoolean stop, AtomicInteger sent) {
    String pad = "x".repeat(1000);
    try (Producer<byte[]> a =
            PulsarFixture.client()
                .newProducer()
                .topic(prefix + "-a")
                .sendTimeout(0, TimeUnit.SECONDS)
                .create();
        Producer<byte[]> b =
            PulsarFixture.client()
                .newProducer()
                .topic(prefix + "-b")
                .sendTimeout(0, TimeUnit.SECONDS)
                .create()) {
      int n = 0;
      while (!stop.get()) {
        for (int i = 0; i < 50; i++, n++) {
          a.sendAsync(("a-" + n + "|" + pad).getBytes(StandardCharsets.UTF_8));
        }
        b.sendAsync(("b-" + n + "|").getBytes(StandardCharsets.UTF_8));
        a.flush();
        b.flush();
        sent.addAndGet(51);
        Thread.sleep(100);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Keyed state in automatic slot groups is scoped by topic: the topic that was hot (its own group)
   * when the app first ran is cold at the restart and planned into the shared group, and its keys
   * still find their counts.
   */
  @Test
  void shouldFindATopicsKeyedStateAfterItChangedGroupAcrossARestart() throws Exception {
    String prefix = uniqueTopic("auto-saved");
    String hot = prefix + "-hot";
    String cold = prefix + "-cold";
    admin().topics().createPartitionedTopic(hot, 2);
    admin().topics().createNonPartitionedTopic(cold);
    PulsarFixture.produce(cold, "c", 0, 100, 10);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<Void> load =
        CompletableFuture.runAsync(
            () -> {
              try (Producer<byte[]> p = PulsarFixture.client().newProducer().topic(hot).create()) {
                String pad = "x".repeat(1000);
                while (!stop.get()) {
                  for (int i = 0; i < 100; i++) {
                    int n = sent.getAndIncrement();
                    p.newMessage()
                        .key("k" + (n % 10))
                        .value((n + pad).getBytes(StandardCharsets.UTF_8))
                        .sendAsync();
                  }
                  p.flush();
                  Thread.sleep(20);
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();
    try {
      awaitRate(hot, r -> r > 200_000);
      try (Sluice app = countingApp(prefix, counts)) {
        app.start();
        assertThat(app.slotGroups().get("hot-0"))
            .containsExactly(hot + "-partition-0", hot + "-partition-1");
        stop.set(true);
        load.get(30, TimeUnit.SECONDS);
        Await.until(
            "everything counted",
            Duration.ofSeconds(60),
            () -> counts.getOrDefault(hot + "/k0", 0L) == sent.get() / 10);
      }
    } finally {
      stop.set(true);
      load.get(30, TimeUnit.SECONDS);
    }
    long before = counts.get(hot + "/k0");
    awaitRate(hot, r -> r < 1000);
    PulsarFixture.produce(hot, "h", 0, 100, 10);
    try (Sluice app = countingApp(prefix, counts)) {
      app.start();
      assertThat(app.slotGroups()).doesNotContainKey("hot-0");
      assertThat(app.slotGroups().get("shared-0"))
          .contains(hot + "-partition-0", hot + "-partition-1");
      Await.until(
          "counts continuing from the state the hot group built",
          Duration.ofSeconds(60),
          () -> counts.getOrDefault(hot + "/k0", 0L) == before + 10);
    }
  }

  private Sluice countingApp(String prefix, Map<String, Long> counts) {
    Sluice app =
        Sluice.builder()
            .name("auto-saved")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .autoSlotGroups(100_000, 1)
            .build();
    app.stream(PulsarSource.topicsMatching(prefix + "-.*"))
        .keyBy(r -> r.key(), io.sluice.state.Serde.strings())
        .<String>process(
            (r, ctx, out) -> {
              var n = ctx.valueState("count", io.sluice.state.Serde.longs());
              long next = n.value() == null ? 1 : n.value() + 1;
              n.update(next);
              counts.merge(r.topic() + "/" + r.key(), next, Math::max);
            })
        .forEach(x -> {});
    return app;
  }

  private static void awaitRate(String topic, java.util.function.DoublePredicate ok)
      throws Exception {
    Await.until(
        "the broker's measured rate of " + topic,
        Duration.ofSeconds(60),
        () -> {
          try {
            return ok.test(admin().topics().getPartitionedStats(topic, false).getMsgThroughputIn());
          } catch (Exception e) {
            return false;
          }
        });
  }
}
