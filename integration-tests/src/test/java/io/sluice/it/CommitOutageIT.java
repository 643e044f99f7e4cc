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
      String name, Path dir, String input, FlakySink sink, LongAdder seen, int maxFailures) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(dir)
            .checkpointInterval(Duration.ofMillis(200))
            .checkpointTimeout(Duration.ofSeconds(1))
            .maxConsecutiveCheckpointFailures(maxFailures)
            .ringSize(64)
            .meterRegistry(new SimpleMeterRegistry())
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
    Sluice app = app("outage-long", stateDir, input, sink, seen, 5);
    app.start();
    PulsarFixture.produce(input, "a", 0, 100, 1);
    Await.until(
        "the first 100 committed", Duration.ofSeconds(60), () -> sink.committed.size() == 100);

    sink.commitsDown = true;
    PulsarFixture.produce(input, "b", 0, 100_000, 1); // far more than the rings hold
    assertThat(app.awaitTermination(Duration.ofSeconds(120))).isTrue();
    assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
    // held: only what was in flight when the commit fell behind was processed, not the backlog
    assertThat(seen.sum()).isLessThan(100 + 75_000);
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
    try (Sluice app = app("outage-short", stateDir, input, sink, seen, 10)) {
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
}
