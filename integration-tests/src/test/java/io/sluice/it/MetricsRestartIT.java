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
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app stopped and started again under the same name in one JVM, with one meter registry (a
 * service restarting its pipeline): the gauges must read the new run, not the stopped one (whose
 * state store is closed: reading it would touch freed native memory).
 */
class MetricsRestartIT {
  @TempDir Path stateDir;

  @Test
  void shouldBindGaugesToTheNewRunAfterARestartInTheSameJvm() throws Exception {
    String topic = uniqueTopic("metrics-restart");
    admin().topics().createNonPartitionedTopic(topic);
    PulsarFixture.produce(topic, "m", 0, 100, 10);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    long firstRun = run(topic, meters, 0);
    assertThat(meters.find("sluice.checkpoint.size.bytes").gauge())
        .as("no gauge of a stopped app left behind")
        .isNull();
    assertThat(meters.find("sluice.checkpoint.completed").counter())
        .as("counters stay")
        .isNotNull();
    run(topic, meters, firstRun);
  }

  /** Runs until two checkpoints after {@code after} completed; checks the gauges; closes. */
  private long run(String topic, SimpleMeterRegistry meters, long after) throws Exception {
    try (Sluice app =
        Sluice.builder()
            .name("metrics-restart")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .meterRegistry(meters)
            .build()) {
      app.stream(PulsarSource.topics(topic).subscription("metrics-restart")).forEach(r -> {});
      app.start();
      Await.until(
          "two checkpoints of this run",
          Duration.ofSeconds(30),
          () -> app.lastCompletedCheckpoint() >= after + 2);
      long id = app.lastCompletedCheckpoint();
      assertThat(meters.get("sluice.checkpoint.last.id").gauge().value())
          .isGreaterThanOrEqualTo(id);
      assertThat(meters.get("sluice.checkpoint.size.bytes").gauge().value()).isPositive();
      assertThat(meters.get("sluice.source.partitions").gauge().value()).isEqualTo(1.0);
      return id;
    }
  }
}
