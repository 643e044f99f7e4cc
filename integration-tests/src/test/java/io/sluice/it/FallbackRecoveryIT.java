package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarFixture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second recovery layer: when the local state is deleted or damaged between runs, the job
 * resumes from the subscription's durable cursor. Nothing may be lost; duplicates are allowed in
 * this fallback only, and are counted here.
 */
class FallbackRecoveryIT {
  private static final int PER_ROUND = 20_000;

  @TempDir Path stateDir;

  @Test
  void shouldRecoverFromTheDurableCursorWhenStateIsDeletedOrTruncated() throws Exception {
    String input = uniqueTopic("fallback-in");
    String output = uniqueTopic("fallback-out");
    admin().topics().createPartitionedTopic(input, 4);
    admin().topics().createNonPartitionedTopic(output);

    // round 1: a normal run, killed once its checkpoints have advanced the cursors
    PulsarFixture.produce(input, "m", 0, PER_ROUND, 100);
    try (ChildJvm job = startJob(input, output)) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=START_POSITION");
      PulsarFixture.awaitNoBacklog(input, "crash-job", Duration.ofMinutes(2));
      job.kill();
    }

    // round 2: the state directory is gone
    Dirs.clear(stateDir);
    PulsarFixture.produce(input, "m", PER_ROUND, PER_ROUND, 100);
    try (ChildJvm job = startJob(input, output)) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=DURABLE_CURSOR");
      job.awaitLine(l -> l.startsWith("CHECKPOINT 3"), Duration.ofSeconds(60));
      job.kill();
    }

    // round 3: the newest RocksDB write-ahead log is cut in the middle of a record
    truncateNewestLog(stateDir.resolve("rocksdb"));
    PulsarFixture.produce(input, "m", 2 * PER_ROUND, PER_ROUND, 100);
    try (ChildJvm job = startJob(input, output)) {
      assertThat(job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90)))
          .isEqualTo("RUNNING layer=DURABLE_CURSOR");
      PulsarFixture.awaitNoBacklog(input, "crash-job", Duration.ofMinutes(2));
      job.kill();
    }
    try (Stream<Path> files = Files.list(stateDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("rocksdb.damaged-"));
    }

    // Transactions the killed runs left open would hold readers of the output back until their
    // timeout (derived from the checkpoint settings: about 26 min here); the sink's transaction
    // journal lets recovery abort them even with the state gone, so every input must be readable
    // in the output well before that.
    int total = 3 * PER_ROUND;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    Map<String, Integer> perId;
    List<String> out;
    do {
      Thread.sleep(2000);
      out = PulsarFixture.readAll(output);
      perId = new HashMap<>();
      for (String line : out) {
        perId.merge(line.split(",")[0], 1, Integer::sum);
      }
    } while (perId.size() < total && System.nanoTime() < deadline);
    int duplicates = out.size() - perId.size();
    System.out.printf(
        "RESULT fallback inputs=%d distinct_outputs=%d duplicates=%d%n",
        total, perId.size(), duplicates);
    assertThat(perId).hasSize(total);
  }

  private ChildJvm startJob(String input, String output) {
    return ChildJvm.builder(CrashJob.class)
        .jvmArgs("-Xmx512m")
        .args(broker().serviceUrl(), broker().adminUrl(), input, output, stateDir.toString(), "300")
        .start();
  }

  private static void truncateNewestLog(Path rocksdb) throws IOException {
    Path log;
    try (Stream<Path> files = Files.list(rocksdb)) {
      log =
          files
              .filter(p -> p.getFileName().toString().endsWith(".log"))
              .filter(p -> !p.getFileName().toString().startsWith("LOG"))
              .max(Comparator.comparingLong(p -> p.toFile().lastModified()))
              .orElseThrow(() -> new AssertionError("no write-ahead log in " + rocksdb));
    }
    long size = Files.size(log);
    assertThat(size).as("WAL size of " + log).isGreaterThan(100);
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(size / 2 + 7);
    }
  }
}
