package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.errors.CheckpointException;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processing thread that never returns (an operator or a sink write blocked for good) never takes
 * a checkpoint barrier. Each checkpoint timeout counts as a failed checkpoint, and the app fails
 * once {@code maxConsecutiveCheckpointFailures} is reached, instead of staying RUNNING with
 * checkpoints silently stopped.
 */
class StuckProcessingIT {
  @TempDir Path stateDir;

  @Test
  void shouldFailWhenAProcessingThreadNeverReachesTheBarrier() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Sluice app = startStuck("stuck", 10, 16384, never, meters);
    try {
      awaitFailed(app, meters);
    } finally {
      never.countDown(); // stopping waits for the processing thread (up to its stop timeout)
    }
    assertThatThrownBy(app::close)
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("has not reached the barrier")
        .hasMessageContaining("maxConsecutiveFailures");
  }

  /**
   * The same with a full ring: a stuck processing thread under load has its ring full, so the
   * barrier cannot even be queued. That must count as a failed checkpoint too (the checkpoint
   * thread used to wait for room for ever, and the app stayed RUNNING), and once the app stops no
   * fetcher may keep waiting for room in the stopped ring.
   */
  @Test
  void shouldFailWhenTheRingOfAStuckProcessingThreadIsFull() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    // the smallest ring: full after 64 records
    Sluice app = startStuck("stuck-full", 2000, 64, never, meters);
    try {
      awaitFailed(app, meters);
      assertThat(app.awaitTermination(Duration.ofSeconds(60))).isTrue();
      Await.until(
          "no fetcher thread left",
          Duration.ofSeconds(10),
          () ->
              Thread.getAllStackTraces().keySet().stream()
                  .noneMatch(t -> t.getName().startsWith("sluice-stuck-full-app-fetch-")));
    } finally {
      never.countDown();
    }
    assertThatThrownBy(app::close).isInstanceOf(CheckpointException.class);
  }

  /**
   * Starts an app named {@code name + "-app"} whose only operator blocks until {@code never} is
   * counted down, over a new topic holding {@code records} messages.
   */
  private Sluice startStuck(
      String name, int records, int ringSize, CountDownLatch never, SimpleMeterRegistry meters)
      throws Exception {
    String topic = uniqueTopic(name);
    admin().topics().createNonPartitionedTopic(topic);
    PulsarFixture.produce(topic, "m", 0, records, 1);
    Sluice app =
        Sluice.builder()
            .name(name + "-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(3)
            .ringSize(ringSize)
            .meterRegistry(meters)
            .build();
    app.stream(PulsarSource.topics(topic))
        .forEach(
            r -> {
              try {
                never.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    app.start();
    return app;
  }

  private static void awaitFailed(Sluice app, SimpleMeterRegistry meters) throws Exception {
    Await.until("the app failed", Duration.ofSeconds(30), () -> app.state() == Sluice.State.FAILED);
    assertThat(meters.get("sluice.checkpoint.failures").counter().count())
        .isGreaterThanOrEqualTo(3);
  }
}
