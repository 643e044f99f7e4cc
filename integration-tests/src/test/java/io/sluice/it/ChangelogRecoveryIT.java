package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.StateException;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stateChangelog}: an instance whose state directory is deleted after a SIGKILL restores its
 * newest checkpoint (keyed state, positions, sink committables) from the changelog in Pulsar: every
 * input is in the output once and every key's running counts go on exactly (1..n, no repeat), where
 * the durable-cursor fallback would restart the counts and repeat output.
 */
@Timeout(600)
class ChangelogRecoveryIT {
  private static final int PER_ROUND = 20_000;
  private static final int KEYS = 100;

  @TempDir Path stateDir;
  @TempDir Path backup;

  @Test
  void shouldRestoreFromTheChangelogWhenTheStateDirectoryIsGone() throws Exception {
    String input = uniqueTopic("changelog-in");
    String output = uniqueTopic("changelog-out");
    admin().topics().createPartitionedTopic(input, 4);
    admin().topics().createNonPartitionedTopic(output);

    PulsarFixture.produce(input, "m", 0, PER_ROUND, KEYS);
    try (ChildJvm job = startJob(input, output)) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=START_POSITION");
      PulsarFixture.awaitNoBacklog(input, "crash-job", Duration.ofMinutes(2));
      job.kill();
    }

    Dirs.copy(stateDir, backup); // a backup of the state directory as the first run left it

    // the state directory is lost; more input arrives
    Dirs.clear(stateDir);
    PulsarFixture.produce(input, "m", PER_ROUND, PER_ROUND, KEYS);
    try (ChildJvm job = startJob(input, output)) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=CHANGELOG");
      PulsarFixture.awaitNoBacklog(input, "crash-job", Duration.ofMinutes(2));
      job.awaitLine(l -> l.startsWith("CHECKPOINT"), Duration.ofSeconds(30));
      job.kill();
    }

    int total = 2 * PER_ROUND;
    CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
    System.out.printf(
        "RESULT changelog inputs=%d outputs=%d distinct=%d duplicates=%d repeated_counts=%d%n",
        total, out.outputs(), out.distinct(), out.duplicates(), out.repeatedCounts());
    out.assertExactlyOnce(total, KEYS);

    // the old backup put back: older than the changelog, so refused before anything is committed
    Dirs.clear(stateDir);
    Dirs.copy(backup, stateDir);
    try (Sluice stale =
        Sluice.builder()
            .name("crash-job")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .stateChangelog(true)
            .build()) {
      stale.stream(PulsarSource.topics(input).subscription("crash-job")).forEach(r -> {});
      assertThatThrownBy(stale::start)
          .isInstanceOf(StateException.class)
          .hasMessageContaining("but the app's changelog in Pulsar already holds checkpoint");
    }
    assertThat(PulsarFixture.readAll(output)).hasSize(total);
  }

  private ChildJvm startJob(String input, String output) {
    return ChildJvm.builder(CrashJob.class)
        .jvmArgs("-Xmx512m", "-Dcrashjob.changelog=true")
        .args(broker().serviceUrl(), broker().adminUrl(), input, output, stateDir.toString(), "300")
        .start();
  }
}
