package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.CheckpointException;
import io.sluice.errors.CommitLostException;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit that can never succeed ({@link CommitLostException}: e.g. a transaction the broker
 * aborted) fails the app at once instead of being retried forever while checkpoints stop; the
 * durable cursors stay before the lost checkpoint, so a restart without the local state produces
 * the lost output again and nothing is missing.
 */
class CommitLostIT {
  @TempDir Path stateDir;

  @Test
  void shouldFailAtOnceAndRecoverTheLostOutputFromTheDurableCursor() throws Exception {
    String input = uniqueTopic("lost-in");
    admin().topics().createNonPartitionedTopic(input);
    FlakySink sink = FlakySink.losingSecondBatch();

    // run 1: the second non-empty checkpoint's output cannot be committed
    Sluice first = app(input, sink);
    first.start();
    int rounds = 0;
    while (rounds < 5 && first.state() == Sluice.State.RUNNING) {
      PulsarFixture.produce(input, "r" + rounds, 0, 200, 10);
      rounds++;
      Thread.sleep(500);
    }
    assertThat(first.awaitTermination(Duration.ofSeconds(30))).isTrue();
    assertThat(first.state()).isEqualTo(Sluice.State.FAILED);
    assertThatThrownBy(first::close)
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("sink flaky cannot commit its output")
        .hasMessageContaining("delete the app's state directory")
        .hasCauseInstanceOf(CommitLostException.class);
    assertThat(sink.lost.get()).isPositive();
    int produced = 200 * rounds;

    // run 2: the local state still lists the lost output; recovery refuses to start
    Sluice second = app(input, sink);
    assertThatThrownBy(second::start)
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("Recovery")
        .hasMessageContaining("delete the app's state directory");
    second.close();

    // run 3: without the local state, the app resumes from the durable cursor
    Dirs.delete(stateDir);
    try (Sluice third = app(input, sink)) {
      third.start();
      Await.until(
          "every input committed",
          Duration.ofSeconds(60),
          () -> new HashSet<>(sink.committed).size() >= produced);
      assertThat(third.state()).isEqualTo(Sluice.State.RUNNING);
    }
    Set<String> expected = new HashSet<>();
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < 200; i++) {
        expected.add("r" + round + "-" + i);
      }
    }
    assertThat(new HashSet<>(sink.committed)).isEqualTo(expected);
  }

  private Sluice app(String input, FlakySink sink) {
    Sluice app =
        Sluice.builder()
            .name("commit-lost-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .build();
    app.stream(PulsarSource.topics(input).subscription("commit-lost"))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .sinkTo(sink);
    return app;
  }
}
