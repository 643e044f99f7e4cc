package io.sluice.it;

import static io.sluice.it.PulsarFixture.admin;
import static io.sluice.it.PulsarFixture.broker;
import static io.sluice.it.PulsarFixture.uniqueTopic;
import static io.sluice.it.SourceIT.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.apache.pulsar.common.policies.data.PersistentTopicInternalStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable cursor (second layer) follows completed checkpoints, and a sink whose prepare fails
 * every other checkpoint neither loses data nor lets the backlog grow: the next checkpoint
 * supersedes the failed one.
 */
class DurableCursorIT {
  @TempDir Path stateDir;

  @Test
  void shouldAdvanceTheCursorWithCompletedCheckpointsWhilePrepareFailsEveryOtherTime()
      throws Exception {
    String input = uniqueTopic("cursor-in");
    admin().topics().createPartitionedTopic(input, 2);
    FlakySink sink = FlakySink.failingEveryOtherPrepare();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    List<String> markDeletes = new ArrayList<>();
    try (Sluice app =
        Sluice.builder()
            .name("cursor-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .meterRegistry(meters)
            .build()) {
      app.stream(PulsarSource.topics(input).subscription("cursor-sub"))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .sinkTo(sink);
      app.start();
      for (int round = 0; round < 10; round++) {
        PulsarFixture.produce(input, "r" + round, 0, 1000, 10);
        long before = app.lastCompletedCheckpoint();
        await(
            "a completed checkpoint",
            Duration.ofSeconds(30),
            () -> app.lastCompletedCheckpoint() > before + 1);
        markDeletes.add(markDelete(input + "-partition-0", "cursor-sub"));
      }
      await(
          "backlog 0",
          Duration.ofSeconds(60),
          () -> backlog(input, "cursor-sub") == 0 && sink.committed.size() == 10_000);
      assertThat(meters.get("sluice.checkpoint.failures").counter().count()).isGreaterThan(3);
      assertThat(meters.get("sluice.checkpoint.completed").counter().count()).isGreaterThan(3);
    }
    // every record committed exactly once, though half of the prepares failed
    assertThat(sink.committed).hasSize(10_000);
    assertThat(new HashSet<>(sink.committed)).hasSize(10_000);
    assertThat(sink.prepareCalls.get()).isGreaterThan(6);
    // the cursor moved forward with the checkpoints, never backwards
    List<String> distinct = markDeletes.stream().distinct().toList();
    assertThat(distinct.size()).isGreaterThan(3);
    for (int i = 1; i < markDeletes.size(); i++) {
      assertThat(compare(markDeletes.get(i), markDeletes.get(i - 1))).isGreaterThanOrEqualTo(0);
    }
  }

  private static String markDelete(String partition, String sub) {
    try {
      PersistentTopicInternalStats s = admin().topics().getInternalStats(partition);
      return s.cursors.get(sub).markDeletePosition;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static int compare(String a, String b) {
    String[] x = a.split(":");
    String[] y = b.split(":");
    int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
    return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
  }

  private static long backlog(String topic, String sub) {
    try {
      long total = 0;
      for (var p : admin().topics().getPartitionedStats(topic, true).getPartitions().values()) {
        total += p.getSubscriptions().get(sub).getMsgBacklog();
      }
      return total;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
