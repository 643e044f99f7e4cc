package io.sluice.it;

import static io.sluice.it.PulsarFixture.admin;
import static io.sluice.it.PulsarFixture.broker;
import static io.sluice.it.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.CheckpointException;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
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
    String topic = uniqueTopic("stuck");
    admin().topics().createNonPartitionedTopic(topic);
    PulsarFixture.produce(topic, "m", 0, 10, 1);
    CountDownLatch never = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Sluice app =
        Sluice.builder()
            .name("stuck-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(3)
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
    try {
      SourceIT.await(
          "the app failed", Duration.ofSeconds(30), () -> app.state() == Sluice.State.FAILED);
      assertThat(meters.get("sluice.checkpoint.failures").counter().count())
          .isGreaterThanOrEqualTo(3);
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
    String topic = uniqueTopic("stuck-full");
    admin().topics().createNonPartitionedTopic(topic);
    PulsarFixture.produce(topic, "m", 0, 2000, 1);
    CountDownLatch never = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Sluice app =
        Sluice.builder()
            .name("stuck-full-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(3)
            .ringSize(64) // the smallest: full after 64 records
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
    try {
      SourceIT.await(
          "the app failed", Duration.ofSeconds(30), () -> app.state() == Sluice.State.FAILED);
      assertThat(meters.get("sluice.checkpoint.failures").counter().count())
          .isGreaterThanOrEqualTo(3);
      assertThat(app.awaitTermination(Duration.ofSeconds(60))).isTrue();
      SourceIT.await(
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
}
