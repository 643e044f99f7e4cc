package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pulsar.client.api.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event-time windows while their topic changes slot group twice (shared → own group → shared): the
 * open windows' accumulators and timers move with the topic, and every window fires exactly once
 * with the exact count. Back in the shared group, whose watermark trails (topic b's event times lag
 * 30 s), a record that was late for the topic stays late: its window does not fire again.
 */
class RegroupWindowIT {
  private static final long WINDOW = 1000;
  private static final long BASE = 1_700_000_000_000L;

  @TempDir Path stateDir;

  @Test
  void shouldFireEveryWindowOnceWithItsExactCountAcrossRegroups() throws Exception {
    String prefix = uniqueTopic("regroup-window");
    String hot = prefix + "-a";
    String output = uniqueTopic("regroup-window-out");
    admin().topics().createPartitionedTopic(hot, 2);
    admin().topics().createNonPartitionedTopic(prefix + "-b");
    admin().topics().createNonPartitionedTopic(output);
    // expected count per "key,windowStart" of every window the final watermark closes
    Map<String, Integer> expected = new ConcurrentHashMap<>();
    try (Sluice app =
        Sluice.builder()
            .name("regroup-window")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .autoSlotGroups(100_000, 1)
            .regroupInterval(Duration.ofSeconds(1))
            .build()) {
      app.stream(
              PulsarSource.topicsMatching(prefix + "-.*")
                  .watermarks(Duration.ZERO, Duration.ofMillis(500)))
          .keyBy(SourceRecord::key, Serde.strings())
          .window(WindowAssigner.tumbling(Duration.ofMillis(WINDOW)))
          .aggregate(new WindowCrashJob.Count(), Serde.longs())
          .sinkTo(
              PulsarSink.<WindowResult<String, Long>>builder()
                  .topic(output)
                  .serializer(
                      r ->
                          (r.key() + "," + r.windowStart() + "," + r.value())
                              .getBytes(StandardCharsets.UTF_8))
                  .build());
      app.start();
      assertThat(app.slotGroups()).doesNotContainKey("hot-0");

      AtomicBoolean stopA = new AtomicBoolean();
      AtomicBoolean stopB = new AtomicBoolean();
      CompletableFuture<Long> loadA =
          CompletableFuture.supplyAsync(() -> produce(hot, 50, "a", 4, 0, stopA, expected));
      CompletableFuture<Long> loadB =
          CompletableFuture.supplyAsync(
              () -> produce(prefix + "-b", 1, "b", 2, -30 * WINDOW, stopB, expected));
      long lastEventTime;
      try {
        try {
          Await.until(
              "the windowed topic in a group of its own",
              Duration.ofSeconds(60),
              () -> app.slotGroups().containsKey("hot-0"));
          Thread.sleep(1500); // windows open in the new group too
        } finally {
          stopA.set(true);
        }
        lastEventTime = loadA.get(30, TimeUnit.SECONDS);
        Await.until(
            "the windowed topic back in the shared group",
            Duration.ofSeconds(60),
            () -> !app.slotGroups().containsKey("hot-0"));
        // late for a (its window fired in hot-0), though on time for the shared group's watermark
        try (Producer<byte[]> p = PulsarFixture.client().newProducer().topic(hot).create()) {
          p.newMessage()
              .key("a0")
              .eventTime(lastEventTime - 5 * WINDOW)
              .value(new byte[] {2})
              .send();
        }
        Thread.sleep(1000);
      } finally {
        stopB.set(true);
      }
      long lastB = loadB.get(30, TimeUnit.SECONDS);
      // far-future records close every window on each partition
      flush(hot, lastEventTime + 60 * WINDOW);
      flush(prefix + "-b", lastB + 60 * WINDOW);
      Map<String, Integer> results = new HashMap<>();
      List<String> out = List.of();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        out = PulsarFixture.readAll(output);
        if (out.size() >= expected.size()) {
          break;
        }
        Thread.sleep(500);
      }
      int duplicates = 0;
      for (String line : out) {
        String[] f = line.split(",");
        if (results.put(f[0] + "," + f[1], Integer.parseInt(f[2])) != null) {
          duplicates++;
        }
      }
      System.out.printf(
          "RESULT regroup-window windows=%d emitted=%d duplicates=%d regroups=%.0f%n",
          expected.size(),
          out.size(),
          duplicates,
          app.meterRegistry().get("sluice.slotgroup.regroups").counter().count());
      assertThat(duplicates).isZero();
      assertThat(results).isEqualTo(expected);
    }
  }

  /**
   * {@code perTick} records every 100 ms over {@code keys} keys, event times 10 ms apart (in order
   * on each partition, so none is late) from BASE + {@code offset}. Returns the last event time.
   */
  private static long produce(
      String topic,
      int perTick,
      String keyPrefix,
      int keys,
      long offset,
      AtomicBoolean stop,
      Map<String, Integer> expected) {
    String pad = perTick > 1 ? "x".repeat(1000) : "";
    try (Producer<byte[]> p = PulsarFixture.client().newProducer().topic(topic).create()) {
      long n = 0;
      while (!stop.get()) {
        for (int i = 0; i < perTick; i++, n++) {
          send(p, keyPrefix + (n % keys), BASE + offset + n * 10, pad, expected);
        }
        p.flush();
        Thread.sleep(100);
      }
      return BASE + offset + n * 10;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void flush(String topic, long eventTime) throws Exception {
    try (Producer<byte[]> p = PulsarFixture.client().newProducer().topic(topic).create()) {
      for (int i = 0; i < 8; i++) {
        p.newMessage().key("flush" + i).eventTime(eventTime).value(new byte[] {1}).send();
      }
    }
  }

  private static void send(
      Producer<byte[]> p, String key, long eventTime, String pad, Map<String, Integer> expected) {
    p.newMessage()
        .key(key)
        .eventTime(eventTime)
        .value((key + pad).getBytes(StandardCharsets.UTF_8))
        .sendAsync();
    expected.merge(key + "," + (eventTime - Math.floorMod(eventTime, WINDOW)), 1, Integer::sum);
  }
}
