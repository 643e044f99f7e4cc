package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.metrics.Metric;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded app with fewer replicas than shards, in one JVM: one replica of a 2-shard app holds
 * both shards and reads every partition (no shard unread, each shard's meters tagged with it); a
 * second replica that joins gets one shard handed over, the two read disjoint halves; when it
 * leaves, the first takes its shard back.
 */
@Timeout(300)
class ShardWatchIT {
  @TempDir Path dirs;

  @Test
  void shouldReadEveryShardWithOneReplicaAndShareThemWithTwo() throws Exception {
    String app = "shardwatch-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("shardwatch-in");
    admin().topics().createPartitionedTopic(input, 4);
    try (Sluice first = replica(app, "x", input)) {
      first.start();
      Await.until(
          "one replica reads both shards",
          Duration.ofSeconds(60),
          () -> first.partitions().size() == 4);
      Await.until(
          "no shard is reported unread", Duration.ofSeconds(60), () -> unread(first) == 0.0);
      assertThat(first.meterRegistry().get(Metric.SOURCE_PARTITIONS.key()).tag("app", app).gauges())
          .as("one partitions gauge per shard, tagged with it")
          .extracting(g -> g.getId().getTag("shard"))
          .containsExactlyInAnyOrder("0", "1");
      try (Sluice second = replica(app, "y", input)) {
        second.start(); // returns once the first handed it a shard
        Await.until(
            "the first replica reads one shard",
            Duration.ofSeconds(60),
            () -> first.partitions().size() == 2);
        assertThat(second.partitions()).hasSize(2).doesNotContainAnyElementsOf(first.partitions());
        assertThat(
                first.meterRegistry().get(Metric.SOURCE_PARTITIONS.key()).tag("app", app).gauges())
            .as("the handed-back shard's gauges are gone")
            .hasSize(1);
      }
      Await.until(
          "the first replica takes the leaver's shard back",
          Duration.ofSeconds(60),
          () -> first.partitions().size() == 4);
    }
  }

  private static double unread(Sluice app) {
    return app.meterRegistry()
        .get(Metric.REPLICAS_SHARDS_UNREAD.key())
        .tag("app", app.name())
        .gauge()
        .value();
  }

  private Sluice replica(String app, String name, String input) {
    Sluice sluice =
        Sluice.builder()
            .name(app)
            .instanceName(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(dirs.resolve(name))
            .shards(2)
            .build();
    sluice.stream(PulsarSource.topics(input)).forEach(r -> {});
    return sluice;
  }
}
