package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Metric;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded app with fewer replicas than shards: the active replica reports the shard nobody holds
 * ({@code sluice.replicas.shards.unread}), and each replica reads only its shard's partitions; once
 * a second replica runs, no shard is unread.
 */
@Timeout(300)
class ShardWatchIT {
  @TempDir Path dirs;

  @Test
  void shouldReportAShardThatNoReplicaHolds() throws Exception {
    String app = "shardwatch-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("shardwatch-in");
    admin().topics().createPartitionedTopic(input, 4);
    try (Sluice first = replica(app, "x", input)) {
      first.start();
      assertThat(first.partitions()).hasSize(2); // partitions 0 and 2, or 1 and 3
      Await.until(
          "the unread shard is reported", Duration.ofSeconds(60), () -> unread(first) == 1.0);
      try (Sluice second = replica(app, "y", input)) {
        second.start();
        assertThat(second.partitions()).hasSize(2).doesNotContainAnyElementsOf(first.partitions());
        Await.until(
            "no shard is unread once both replicas run",
            Duration.ofSeconds(60),
            () -> unread(first) == 0.0);
      }
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
