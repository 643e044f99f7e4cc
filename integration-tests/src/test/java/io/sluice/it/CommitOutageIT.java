package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.errors.CheckpointException;
import io.sluice.metrics.Metric;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink whose commits keep failing (its server is down): reading is held while the commit is
 * behind, so processing does not pile up state and output in memory; each checkpoint timeout counts
 * as a failed checkpoint, so an outage longer than timeout × maxConsecutiveFailures fails the app
 * naming the sink, and a shorter one ends with every record committed exactly once.
 */
@Timeout(300)
class CommitOutageIT {
  @TempDir Path stateDir;

  private static Sluice app(
      String name,
      Path dir,
      String input,
      FlakySink sink,
      LongAdder seen,
      int maxFailures,
      MeterRegistry meters) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(dir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(maxFailures)
            .ringSize(64)
            .meterRegistry(meters)
            .build();
    app.stream(PulsarSource.topics(input))
        .map(
            r -> {
              seen.increment();
              return new String(r.value(), StandardCharsets.UTF_8);
            })
        .sinkTo(sink);
    return app;
  }

  @Test
  void shouldHoldReadingAndFailNamingTheSinkWhenItsCommitsNeverSucceed() throws Exception {
    String input = uniqueTopic("outage-long");
    admin().topics().createNonPartitionedTopic(input);
    FlakySink sink = FlakySink.withCommitOutages();
    LongAdder seen = new LongAdder();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Sluice app = app("outage-long", stateDir, input, sink, seen, 5, meters);
    app.start();
    PulsarFixture.produce(input, "a", 0, 100, 1);
    Await.until(
        "the first 100 committed", Duration.ofSeconds(60), () -> sink.committed.size() == 100);

    sink.commitsDown = true;
    PulsarFixture.produce(input, "b", 0, 1000, 1);
    // a checkpoint failed for a commit behind: from then on reading is held
    Await.until(
        "a checkpoint failed for the commit behind",
        Duration.ofSeconds(60),
        () -> failedCheckpoints(meters) >= 1);
    long seenWhenHeld = seen.sum();
    PulsarFixture.produce(input, "c", 0, 100_000, 1); // far more than the rings hold
    // two more timeouts of the held wait (the fifth fails the app and ends the hold)
    Await.until(
        "three checkpoints failed for the commit behind",
        Duration.ofSeconds(60),
        () -> failedCheckpoints(meters) >= 3);
    long seenWhileHeld = seen.sum();
    assertThat(app.awaitTermination(Duration.ofSeconds(120))).isTrue();
    assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
    // held: nothing of the backlog that arrived while the commit was behind was processed
    assertThat(seenWhenHeld).isLessThanOrEqualTo(1100);
    assertThat(seenWhileHeld).isEqualTo(seenWhenHeld);
    assertThatThrownBy(app::close)
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("5 checkpoints in a row failed")
        .hasMessageContaining("the commit of the previous checkpoint has not finished")
        .hasMessageContaining("the commit of sink flaky")
        .hasMessageContaining("the sink's server is down");
  }

  @Test
  void shouldLoseNothingWhenTheOutageIsShorterThanTheBound() throws Exception {
    String input = uniqueTopic("outage-short");
    admin().topics().createNonPartitionedTopic(input);
    FlakySink sink = FlakySink.withCommitOutages();
    LongAdder seen = new LongAdder();
    // the bound (10 timeouts of 1 s) leaves room for the commit retry's backoff (up to 5 s)
    try (Sluice app =
        app("outage-short", stateDir, input, sink, seen, 10, new SimpleMeterRegistry())) {
      app.start();
      PulsarFixture.produce(input, "a", 0, 100, 1);
      Await.until(
          "the first 100 committed", Duration.ofSeconds(60), () -> sink.committed.size() == 100);
      sink.commitsDown = true;
      PulsarFixture.produce(input, "b", 0, 20_000, 1);
      Thread.sleep(3000); // an outage of about 3 checkpoint timeouts: within the bound
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
      sink.commitsDown = false;
      Await.until(
          "all 20,100 committed", Duration.ofSeconds(120), () -> sink.committed.size() >= 20_100);
    }
    assertThat(sink.committed).hasSize(20_100);
    assertThat(new HashSet<>(sink.committed)).hasSize(20_100);
  }

  private static double failedCheckpoints(MeterRegistry meters) {
    return meters.find(Metric.CHECKPOINT_FAILURES.key()).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
