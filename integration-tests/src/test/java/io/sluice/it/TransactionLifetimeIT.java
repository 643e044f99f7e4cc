package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.ConfigException;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Pulsar sink transaction must outlive every delay of its commit that the app rides out: failed
 * checkpoints carry it on, and a commit behind (another sink's server down) holds it, up to {@code
 * (checkpoint.interval + checkpoint.timeout) × (2 × checkpoint.maxConsecutiveFailures + 1)}. A
 * shorter transaction timeout used to be accepted, and the broker then aborted the transaction
 * during such an outage, losing its output; it is refused at start now, and an unset one is derived
 * from the checkpoint settings.
 */
@Timeout(300)
class TransactionLifetimeIT {
  @TempDir Path stateDir;

  private Sluice app(String input, PulsarSink<String> sink) {
    Sluice app =
        Sluice.builder()
            .name("lifetime-" + System.nanoTime())
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(5)
            .build(); // commit bound: (0.2 s + 1 s) × 11 = 13.2 s
    app.stream(PulsarSource.topics(input))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .sinkTo(sink);
    return app;
  }

  private static PulsarSink.Builder<String> sink(String output) {
    return PulsarSink.<String>builder()
        .topic(output)
        .serializer(s -> s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void shouldRefuseATransactionTimeoutThatACommitDelayTheAppRidesOutWouldOutlast()
      throws Exception {
    String input = uniqueTopic("lifetime-in");
    String output = uniqueTopic("lifetime-out");
    admin().topics().createNonPartitionedTopic(input);
    admin().topics().createNonPartitionedTopic(output);
    try (Sluice app = app(input, sink(output).transactionTimeout(Duration.ofSeconds(10)).build())) {
      assertThatThrownBy(app::start)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("transactionTimeout 10000 ms")
          .hasMessageContaining("13200 ms")
          .hasMessageContaining("at least 14200 ms");
    } catch (ConfigException expectedOnClose) {
      // close() rethrows the start failure; the assertion above already checked it
    }
  }

  @Test
  void shouldWriteWithATimeoutDerivedFromTheCheckpointSettings() throws Exception {
    String input = uniqueTopic("lifetime-derived-in");
    String output = uniqueTopic("lifetime-derived-out");
    admin().topics().createNonPartitionedTopic(input);
    admin().topics().createNonPartitionedTopic(output);
    try (Sluice app = app(input, sink(output).build())) {
      app.start();
      PulsarFixture.produce(input, "m", 0, 500, 10);
      Await.until(
          "500 records committed",
          Duration.ofSeconds(60),
          () -> {
            try {
              return PulsarFixture.readAll(output).size() >= 500;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
    List<String> out = PulsarFixture.readAll(output);
    assertThat(out).hasSize(500);
    assertThat(new HashSet<>(out)).hasSize(500);
  }
}
