package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exactly-once under SIGKILL: the job runs in a child JVM and is killed at random moments while
 * input is still arriving; after the last restart the output topic must hold every input exactly
 * once, and every key's running counts must be exactly 1..n (a lost or doubled state update would
 * show as a gap or a repeat).
 */
class CrashRecoveryIT {
  static final int MESSAGES = Integer.getInteger("sluice.crash.messages", 200_000);
  static final int KILLS = Integer.getInteger("sluice.crash.kills", 6);
  static final int KEYS = 1000;

  @TempDir Path stateDir;

  /** The read mode of the next run: runs alternate, so each mode resumes what the other left. */
  private boolean entryReads;

  @ParameterizedTest(name = "first run entryReads={0}, then alternating")
  @ValueSource(booleans = {true, false})
  void shouldDeliverEveryRecordExactlyOnceAcrossSigkills(boolean firstEntryReads) throws Exception {
    entryReads = firstEntryReads;
    String input = uniqueTopic("crash-in");
    String output = uniqueTopic("crash-out");
    admin().topics().createPartitionedTopic(input, 8);
    admin().topics().createNonPartitionedTopic(output);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("crash test seed " + seed);

    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> produceSlowly(input));
    int kills = ChildJvm.killAtRandomMoments(() -> startJob(input, output), KILLS, random);
    producing.get(5, TimeUnit.MINUTES);
    // the input as stored (the broker's in-stats counters restart when a partition reloads)
    List<String> in = PulsarFixture.readAll(input);
    assertThat(in).as("messages stored on the input").hasSize(MESSAGES);
    assertThat(new HashSet<>(in)).as("distinct messages stored on the input").hasSize(MESSAGES);

    try (ChildJvm job = startJob(input, output)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      PulsarFixture.awaitNoBacklog(input, "crash-job", Duration.ofMinutes(5));
      job.kill();
    }

    List<String> out = PulsarFixture.readAll(output);
    Map<Integer, Integer> perId = new HashMap<>();
    Map<String, TreeSet<Long>> countsPerKey = new HashMap<>();
    int repeatedCounts = 0;
    for (String line : out) {
      String[] f = line.split(",");
      perId.merge(Integer.parseInt(f[0].substring(2)), 1, Integer::sum);
      if (!countsPerKey.computeIfAbsent(f[1], k -> new TreeSet<>()).add(Long.parseLong(f[2]))) {
        repeatedCounts++;
      }
    }
    int duplicates = perId.values().stream().mapToInt(n -> n - 1).sum();
    int lost = MESSAGES - perId.size();
    if (lost > 0) {
      List<Integer> missing = new java.util.ArrayList<>();
      for (int i = 0; i < MESSAGES && missing.size() < 200; i++) {
        if (!perId.containsKey(i)) {
          missing.add(i);
        }
      }
      System.out.println("missing ids (first 200): " + missing);
      // read again with a long patience: are they really not there, or was the reader early?
      List<String> again = PulsarFixture.readAll(output);
      System.out.println("second read: " + again.size() + " records");
    }
    System.out.printf(
        "RESULT crash sink=pulsar inputs=%d outputs=%d duplicates=%d lost=%d kills=%d%n",
        MESSAGES, out.size(), duplicates, lost, kills);
    assertThat(duplicates).as("duplicates (seed %d)", seed).isZero();
    assertThat(lost).as("lost (seed %d)", seed).isZero();
    assertThat(out).hasSize(MESSAGES);
    assertThat(repeatedCounts).as("repeated running counts").isZero();
    for (Map.Entry<String, TreeSet<Long>> e : countsPerKey.entrySet()) {
      TreeSet<Long> counts = e.getValue();
      assertThat(counts.first()).as("first count of %s", e.getKey()).isEqualTo(1L);
      assertThat(counts.last()).as("last count of %s", e.getKey()).isEqualTo((long) counts.size());
    }
    assertThat(countsPerKey).hasSize(KEYS);
  }

  /**
   * Runs read whole entries and use Readers in turn: positions one way left are resumed the other
   * way, and each way meets kills.
   */
  private ChildJvm startJob(String input, String output) {
    boolean entryReads = this.entryReads;
    this.entryReads = !entryReads;
    System.out.println("crash job run with entryReads=" + entryReads);
    return ChildJvm.builder(CrashJob.class)
        .jvmArgs("-Xmx512m", "-Dcrashjob.entryReads=" + entryReads)
        .args(broker().serviceUrl(), broker().adminUrl(), input, output, stateDir.toString(), "300")
        .start();
  }

  /** Produces the input over ~15 s so kills land while data is still arriving. */
  private static void produceSlowly(String topic) {
    try {
      PulsarFixture.produce(topic, 0, MESSAGES, j -> "k" + (j % KEYS), j -> "m-" + j, null, 15_000);
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }
}
