package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.StateException;
import io.sluice.source.PulsarSource;
import io.sluice.state.RecoveryLayer;
import io.sluice.testkit.Await;
import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One owner per state directory, against the real broker: a second instance on a live directory
 * (here in another process) is refused and changes nothing; a directory older than the durable
 * cursors (a restored backup) is refused instead of repeating committed output.
 */
@Timeout(300)
class StateDirIT {
  @TempDir Path stateDir;
  @TempDir Path backup;

  private static Sluice counting(String name, Path dir, String input, LongAdder seen) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(dir)
            .checkpointInterval(Duration.ofHours(1)) // only the final checkpoint on close
            .build();
    app.stream(PulsarSource.topics(input).subscription(name)).forEach(r -> seen.increment());
    return app;
  }

  @Test
  void shouldRefuseADirectoryALiveInstanceInAnotherProcessHoldsAndChangeNothing() throws Exception {
    String input = uniqueTopic("statedir-live-in");
    String output = uniqueTopic("statedir-live-out");
    admin().topics().createPartitionedTopic(input, 2);
    admin().topics().createNonPartitionedTopic(output);
    PulsarFixture.produce(input, "m", 0, 1000, 10);
    try (ChildJvm job =
        ChildJvm.builder(CrashJob.class)
            .jvmArgs("-Xmx256m")
            .args(
                broker().serviceUrl(),
                broker().adminUrl(),
                input,
                output,
                stateDir.toString(),
                "200")
            .start()) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=START_POSITION");
      job.awaitLine(l -> l.startsWith("CHECKPOINT 2"), Duration.ofSeconds(60));
      TreeMap<String, Long> before = listing(stateDir.resolve("rocksdb"));

      LongAdder seen = new LongAdder();
      try (Sluice second = counting("crash-job", stateDir, input, seen)) {
        assertThatThrownBy(second::start)
            .isInstanceOf(StateException.class)
            .hasMessageContaining("is in use by another running instance")
            .hasMessageContaining("pid " + job.pid());
      }
      assertThat(seen.sum()).isZero();
      assertThat(job.isAlive()).isTrue();
      // the live store was neither moved aside nor written by the refused instance
      try (Stream<Path> files = Files.list(stateDir)) {
        assertThat(files.map(p -> p.getFileName().toString()))
            .noneMatch(n -> n.startsWith("rocksdb.damaged-"));
      }
      assertThat(listing(stateDir.resolve("rocksdb")).keySet()).containsAll(before.keySet());
      job.kill(); // SIGKILL: the OS releases the lock with the process
    }
    // the next instance gets the directory, and its checkpoint with it
    LongAdder seen = new LongAdder();
    try (Sluice next = counting("crash-job", stateDir, input, seen)) {
      next.start();
      assertThat(next.recoveryLayer()).isEqualTo(RecoveryLayer.CHECKPOINT);
    }
  }

  @Test
  void shouldRefuseAStateDirectoryOlderThanTheDurableCursors() throws Exception {
    String input = uniqueTopic("statedir-stale-in");
    admin().topics().createPartitionedTopic(input, 2);
    PulsarFixture.produce(input, "a", 0, 100, 10);
    LongAdder seen = new LongAdder();
    try (Sluice app = counting("stale-app", stateDir, input, seen)) {
      app.start();
      Await.until("the first 100 records", Duration.ofSeconds(60), () -> seen.sum() == 100);
    }
    Dirs.copy(stateDir, backup); // a backup taken while the app is stopped

    PulsarFixture.produce(input, "b", 0, 100, 10);
    try (Sluice app = counting("stale-app", stateDir, input, seen)) {
      app.start();
      Await.until("the next 100 records", Duration.ofSeconds(60), () -> seen.sum() == 200);
    } // the final checkpoint moves the durable cursors past the backup's positions

    // the backup is restored: its checkpoint stands before the cursors
    Dirs.clear(stateDir);
    Dirs.copy(backup, stateDir);
    try (Sluice app = counting("stale-app", stateDir, input, seen)) {
      assertThatThrownBy(app::start)
          .isInstanceOf(StateException.class)
          .hasMessageContaining("is older than the durable cursor of " + input + "-partition-")
          .hasMessageContaining("Delete the state directory");
    }
    assertThat(seen.sum()).isEqualTo(200); // nothing was read again

    // as the message says: without the directory the app resumes from the cursors, repeating
    // nothing (an end marker proves that nothing older arrives)
    Dirs.clear(stateDir);
    PulsarFixture.produce(input, "end", 0, 1, 1);
    try (Sluice app = counting("stale-app", stateDir, input, seen)) {
      app.start();
      assertThat(app.recoveryLayer()).isEqualTo(RecoveryLayer.DURABLE_CURSOR);
      Await.until("the end marker", Duration.ofSeconds(60), () -> seen.sum() >= 201);
    }
    assertThat(seen.sum()).isEqualTo(201);
  }

  private static TreeMap<String, Long> listing(Path dir) throws IOException {
    TreeMap<String, Long> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(p -> out.put(p.getFileName().toString(), p.toFile().length()));
    }
    return out;
  }
}
