package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.produce;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fetcher threads are a fixed few, however many partitions are read. */
@Timeout(180)
class FetcherThreadsIT {
  @TempDir Path stateDir;

  /**
   * 240 partitions, two fetcher threads: every record is processed exactly once, and no more than
   * two fetcher threads ever run (one per partition would be 240). With partition meters off, no
   * meter is tagged with a partition while the per-topic ones stay.
   */
  @Test
  void shouldReadHundredsOfPartitionsWithTwoFetcherThreads() throws Exception {
    String prefix = uniqueTopic("fetchers");
    int topics = 3;
    int partitions = 80;
    int perTopic = 2400;
    for (int t = 0; t < topics; t++) {
      admin().topics().createPartitionedTopic(prefix + "-" + t, partitions);
      produce(prefix + "-" + t, "t" + t + "-", 0, perTopic, 100);
    }
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    Set<String> fetchers = ConcurrentHashMap.newKeySet();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
        Sluice.builder()
            .name("fetchers")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .meterRegistry(meters)
            .partitionMeters(false)
            .fetchThreads(2)
            .checkpointInterval(Duration.ofMillis(300))
            .build()) {
      app.stream(PulsarSource.topicsMatching(prefix.replace(".", "\\.") + "-[0-9]+"))
          .forEach(r -> seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum));
      app.start();
      Await.until(
          "every record",
          Duration.ofSeconds(60),
          () -> {
            fetchers.addAll(fetcherThreads("fetchers"));
            return seen.size() == topics * perTopic;
          });
      fetchers.addAll(fetcherThreads("fetchers"));
      assertThat(app.slotGroups().values().stream().mapToInt(java.util.List::size).sum())
          .isEqualTo(topics * partitions);
      assertThat(meters.getMeters())
          .noneMatch(m -> m.getId().getTag("partition") != null)
          .anyMatch(m -> m.getId().getName().equals("sluice.source.records"));
    }
    assertThat(seen.values()).as("times each record was processed").containsOnly(1);
    assertThat(fetchers).hasSize(2);
  }

  /**
   * One fetcher thread reads a topic whose slot group is stuck (its ring full) and a topic in
   * another group: the second topic's records still arrive, and once the first group goes on every
   * record of both is processed. A fetcher that waited for room in the stuck ring would hold the
   * other group up with it.
   */
  @Test
  void shouldKeepFeedingOtherGroupsWhileOneGroupsRingIsFull() throws Exception {
    String stuck = uniqueTopic("fetchers-stuck");
    String other = uniqueTopic("fetchers-other");
    admin().topics().createPartitionedTopic(stuck, 2);
    admin().topics().createPartitionedTopic(other, 2);
    produce(stuck, "s", 0, 20_000, 10);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger stuckSeen = new AtomicInteger();
    AtomicInteger otherSeen = new AtomicInteger();
    try (Sluice app =
        Sluice.builder()
            .name("fetchers-stuck")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .fetchThreads(1)
            .ringSize(256) // 16 slots of 16 records: 20,000 records fill it many times over
            .slotGroup("stuck", stuck)
            .build()) {
      app.stream(PulsarSource.topics(stuck, other))
          .forEach(
              (SourceRecord r) -> {
                if (r.topic().startsWith(stuck)) {
                  if (stuckSeen.getAndIncrement() == 0) {
                    await(release);
                  }
                } else {
                  otherSeen.incrementAndGet();
                }
              });
      app.start();
      Await.until(
          "the stuck group's first record", Duration.ofSeconds(30), () -> stuckSeen.get() >= 1);
      produce(other, "o", 0, 2000, 10);
      Await.until(
          "the other group's records while the stuck group's ring is full",
          Duration.ofSeconds(30),
          () -> otherSeen.get() == 2000);
      assertThat(stuckSeen.get()).as("records the stuck group took").isEqualTo(1);
      release.countDown();
      Await.until("every record", Duration.ofSeconds(60), () -> stuckSeen.get() == 20_000);
      assertThat(otherSeen.get()).isEqualTo(2000);
    }
  }

  private static Set<String> fetcherThreads(String app) {
    Set<String> names = new java.util.HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("sluice-" + app + "-fetch-")) {
        names.add(t.getName());
      }
    }
    return names;
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(120, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
