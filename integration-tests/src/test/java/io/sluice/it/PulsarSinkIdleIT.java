package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Pulsar sink opens the next checkpoint's transaction ahead of time. When the job then has no
 * output for longer than the transaction timeout (a sparse stream, an hourly window), that
 * transaction has expired by the next write; the sink must write in a fresh one instead of failing
 * the app.
 */
class PulsarSinkIdleIT {
  @TempDir Path stateDir;

  @Test
  void shouldWriteAfterBeingIdleForLongerThanTheTransactionTimeout() throws Exception {
    String input = uniqueTopic("idle-in");
    String output = uniqueTopic("idle-out");
    admin().topics().createNonPartitionedTopic(input);
    admin().topics().createNonPartitionedTopic(output);
    // above the app's commit bound, (0.2 s + 1 s) × (2 × 1 + 1) = 3.6 s, which it must outlive
    Duration timeout = Duration.ofSeconds(6);
    try (Sluice app =
        Sluice.builder()
            .name("idle-sink-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(1)
            .build()) {
      app.stream(PulsarSource.topics(input).subscription("idle-sink"))
          .map(r -> r.value())
          .sinkTo(
              PulsarSink.<byte[]>builder()
                  .topic(output)
                  .serializer(v -> v)
                  .transactionTimeout(timeout)
                  .build());
      app.start();
      for (int round = 0; round < 3; round++) {
        PulsarFixture.produce(input, "r" + round, 0, 10, 10);
        int expected = 10 * (round + 1);
        Await.until(
            expected + " records committed",
            Duration.ofSeconds(30),
            () -> {
              assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
              return committed(output) >= expected;
            });
        // no output for longer than the transaction timeout: the transaction opened ahead expires
        Thread.sleep(timeout.toMillis() + 2000);
      }
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
      assertThat(app.failure()).isEmpty();
    }
    List<String> out = PulsarFixture.readAll(output);
    assertThat(out).hasSize(30);
    assertThat(new HashSet<>(out)).hasSize(30);
  }

  private static int committed(String topic) {
    try {
      return PulsarFixture.readAll(topic).size();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
