package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
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
    awaitLoaded(input + "-partition-0");
    awaitLoaded(input + "-partition-1");
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
      String partition0 = input + "-partition-0";
      Await.until(
          "the durable cursor", Duration.ofSeconds(30), () -> markDelete(partition0) != null);
      markDeletes.add(markDelete(partition0));
      for (int round = 0; round < 10; round++) {
        PulsarFixture.produce(input, "r" + round, 0, 1000, 10);
        String previous = markDeletes.get(markDeletes.size() - 1);
        // every round moves the cursor, though every other checkpoint fails
        Await.until(
            "the durable cursor to move past " + previous + " after round " + round,
            Duration.ofSeconds(30),
            () -> compare(markDelete(partition0), previous) > 0);
        markDeletes.add(markDelete(partition0));
      }
      Await.until(
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
    for (int i = 1; i < markDeletes.size(); i++) {
      assertThat(compare(markDeletes.get(i), markDeletes.get(i - 1))).isGreaterThanOrEqualTo(0);
    }
  }

  /** A clean close takes a final checkpoint and moves the durable cursors to it. */
  @Test
  void shouldMoveTheCursorsToTheFinalCheckpointOnClose() throws Exception {
    String input = uniqueTopic("cursor-close-in");
    admin().topics().createPartitionedTopic(input, 2);
    awaitLoaded(input + "-partition-0");
    awaitLoaded(input + "-partition-1");
    PulsarFixture.produce(input, "m", 0, 200, 10);
    java.util.concurrent.atomic.LongAdder seen = new java.util.concurrent.atomic.LongAdder();
    try (Sluice app =
        Sluice.builder()
            .name("cursor-close-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofHours(1)) // only the final checkpoint
            .build()) {
      app.stream(PulsarSource.topics(input).subscription("cursor-close-sub"))
          .forEach(r -> seen.increment());
      app.start();
      Await.until("all 200 records", Duration.ofSeconds(60), () -> seen.sum() == 200);
      assertThat(backlog(input, "cursor-close-sub")).isPositive();
    }
    assertThat(backlog(input, "cursor-close-sub")).isZero();
  }

  /**
   * An acknowledgement the broker lost (it crashed before writing the cursor) is sent again for an
   * idle partition: the client drops a cumulative acknowledgement that is not past its last one, so
   * without a fresh consumer the cursor would stay behind until the partition got new records.
   * Resetting the cursor over the admin API stands in for the crash: the broker drops the cursor's
   * position and disconnects its consumer.
   */
  @Test
  void shouldAcknowledgeAnIdlePartitionAgainAfterItsCursorWasLost() throws Exception {
    String input = uniqueTopic("cursor-idle-in");
    admin().topics().createPartitionedTopic(input, 2);
    String partition0 = input + "-partition-0";
    awaitLoaded(partition0);
    awaitLoaded(input + "-partition-1");
    PulsarFixture.produce(input, "m", 0, 200, 10);
    java.util.concurrent.atomic.LongAdder seen = new java.util.concurrent.atomic.LongAdder();
    try (Sluice app =
        Sluice.builder()
            .name("cursor-idle-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .build()) {
      app.stream(PulsarSource.topics(input).subscription("cursor-sub"))
          .forEach(r -> seen.increment());
      app.start();
      Await.until(
          "all 200 records and backlog 0",
          Duration.ofSeconds(60),
          () -> seen.sum() == 200 && backlog(input, "cursor-sub") == 0);
      String acknowledged = markDelete(partition0);
      admin().topics().resetCursor(partition0, "cursor-sub", 0L); // back to the earliest message
      // no new records: only acknowledging the same position again brings the cursor back
      Await.until(
          "the cursor of the idle partition back at " + acknowledged,
          Duration.ofSeconds(30),
          () -> backlog(input, "cursor-sub") == 0);
      assertThat(markDelete(partition0)).isEqualTo(acknowledged);
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
      // it came back through a renewed consumer (the reset itself is not undone by the broker)
      assertThat(app.meterRegistry().get("sluice.cursor.renewals").counter().count())
          .isGreaterThanOrEqualTo(1.0);
    }
    assertThat(seen.sum()).isEqualTo(200); // the reader was not moved: nothing read twice
  }

  /**
   * Until the broker has loaded the partition with its transaction buffer recovered. Twice in CI
   * the shared broker's first load of the topic stalled for 30 s ("read transaction buffer snapshot
   * while recovering the transaction buffer" failed; the broker then closed and reopened the
   * topic), and nothing was dispatched meanwhile: the per-round wait below measures the app, not
   * that.
   */
  private static void awaitLoaded(String partition) throws Exception {
    Await.until(
        partition + " loaded, its transaction buffer recovered",
        Duration.ofSeconds(120),
        () -> {
          try {
            admin().topics().getInternalStats(partition); // loads the topic
            String state = admin().transactions().getTransactionBufferStats(partition).state;
            return "Ready".equals(state) || "NoSnapshot".equals(state);
          } catch (Exception e) {
            return false; // not loaded (yet), or closed for a reload
          }
        });
  }

  private static String markDelete(String partition) {
    try {
      PersistentTopicInternalStats s = admin().topics().getInternalStats(partition);
      var cursor = s.cursors.get("cursor-sub");
      return cursor == null ? null : cursor.markDeletePosition;
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
