package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replicated(true)}: three replicas of {@link CrashJob} (keyed counts, transactional Pulsar
 * sink), each a child JVM on its own state directory. One is active; the active one is SIGKILLed at
 * random moments while input arrives, a standby takes over from the changelog, and the killed one
 * comes back as a standby (on its old, now stale, directory). Every input is in the output exactly
 * once and every key's counts run 1..n.
 */
@Timeout(900)
class ReplicatedFailoverIT {
  private static final int PER_ROUND = 8_000;
  private static final int KEYS = 50;
  private static final int KILLS = 4;

  @TempDir Path dirs;

  @Test
  void shouldHandTheAppOverExactlyOnceWhenTheActiveReplicaIsKilled() throws Exception {
    String app = "replicated-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("replicated-in");
    String output = uniqueTopic("replicated-out");
    admin().topics().createPartitionedTopic(input, 4);
    admin().topics().createNonPartitionedTopic(output);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("ReplicatedFailoverIT seed " + seed);

    List<String> names = List.of("a", "b", "c");
    List<ChildJvm> replicas = new ArrayList<>();
    int produced = 0;
    int handovers = 0;
    try {
      PulsarFixture.produce(input, "m", produced, PER_ROUND, KEYS);
      produced += PER_ROUND;
      for (String name : names) {
        replicas.add(start(app, name, input, output));
      }
      int active = awaitActive(replicas, -1);
      for (int kill = 0; kill < KILLS; kill++) {
        int from = produced;
        CompletableFuture<Void> producing =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    PulsarFixture.produce(input, "m", from, PER_ROUND, KEYS);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        produced += PER_ROUND;
        Thread.sleep(300 + random.nextInt(3000));
        replicas.get(active).kill();
        producing.get(2, TimeUnit.MINUTES);
        int next = awaitActive(replicas, active);
        handovers++;
        replicas.get(active).close();
        replicas.set(active, start(app, names.get(active), input, output)); // back as a standby
        active = next;
      }
      PulsarFixture.awaitNoBacklog(input, app, Duration.ofMinutes(3));
      ChildJvm last = replicas.get(active);
      long seen = checkpointOf(last.awaitLine(l -> l.startsWith("CHECKPOINT"), ofSeconds(30)));
      last.awaitLine(
          l -> l.startsWith("CHECKPOINT") && checkpointOf(l) > seen + 1, Duration.ofSeconds(60));
    } finally {
      replicas.forEach(ChildJvm::kill);
      replicas.forEach(ChildJvm::close);
    }

    CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
    System.out.printf(
        "RESULT replicated instances=%d inputs=%d outputs=%d duplicates=%d lost=%d kills=%d"
            + " handovers=%d%n",
        names.size(),
        produced,
        out.outputs(),
        out.duplicates(),
        produced - out.distinct(),
        KILLS,
        handovers);
    out.assertExactlyOnce(produced, KEYS);
  }

  private static Duration ofSeconds(long s) {
    return Duration.ofSeconds(s);
  }

  private static long checkpointOf(String line) {
    return Long.parseLong(line.substring("CHECKPOINT ".length()).trim());
  }

  /**
   * Waits for a replica other than {@code previous} to print RUNNING (it became active and
   * recovered); exactly one replica may be running at a time. Returns its index.
   */
  private static int awaitActive(List<ChildJvm> replicas, int previous) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < replicas.size(); i++) {
        if (i == previous) {
          continue;
        }
        String line = replicas.get(i).readLine(Duration.ofMillis(100));
        while (line != null && !line.startsWith("RUNNING")) {
          line = replicas.get(i).readLine(Duration.ofMillis(10));
        }
        if (line != null) {
          if (previous >= 0) {
            // a stale or empty directory restores from the changelog; one holding the newest
            // checkpoint (nothing committed since it was active) resumes from it
            assertThat(line).isIn("RUNNING layer=CHANGELOG", "RUNNING layer=CHECKPOINT");
          }
          return i;
        }
      }
    }
    throw new AssertionError("no replica became active within 120 s of the kill");
  }

  private ChildJvm start(String app, String name, String input, String output) {
    return ChildJvm.builder(CrashJob.class)
        .name("replica-" + name)
        .jvmArgs(
            "-Xmx384m",
            "-Dcrashjob.app=" + app,
            "-Dcrashjob.replicated=true",
            "-Dcrashjob.instance=" + name)
        .args(
            broker().serviceUrl(),
            broker().adminUrl(),
            input,
            output,
            dirs.resolve(name).toString(),
            "300")
        .start();
  }
}
