package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
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
 * keyBy across shards: {@link CrashJob} with {@code crashjob.repartition} counts by a group of the
 * value that is not how the input is partitioned (every group's records are spread over all
 * partitions, so over both shards), in a 2-shard app of 3 replicas whose active ones are SIGKILLed
 * while input arrives. Each group's count must run 1..n in one sequence: without the repartition
 * topic each shard would count its half of a group on its own and the counts would repeat.
 */
@Timeout(900)
class RepartitionIT {
  private static final int PER_ROUND = 6_000;
  private static final int KILLS = 3;

  @TempDir Path dirs;

  @Test
  void shouldCountEachKeyInOneShardExactlyOnceThroughKills() throws Exception {
    String app = "repartition-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("repartition-in");
    String output = uniqueTopic("repartition-out");
    admin().topics().createPartitionedTopic(input, 8);
    admin().topics().createNonPartitionedTopic(output);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("RepartitionIT seed " + seed);

    List<String> names = new ArrayList<>(List.of("a", "b", "c"));
    List<ChildJvm> replicas = new ArrayList<>();
    int produced = 0;
    try {
      PulsarFixture.produce(input, "m", 0, PER_ROUND, 50);
      produced += PER_ROUND;
      for (String name : names) {
        replicas.add(start(app, name, input, output));
      }
      List<Integer> active = new ArrayList<>();
      while (active.size() < 2) {
        active.add(awaitRunning(replicas, active));
      }
      for (int kill = 0; kill < KILLS; kill++) {
        int from = produced;
        CompletableFuture<Void> producing =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    PulsarFixture.produce(input, "m", from, PER_ROUND, 50);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        produced += PER_ROUND;
        Thread.sleep(500 + random.nextInt(3000));
        int victim = active.remove(random.nextInt(active.size()));
        replicas.get(victim).kill();
        producing.get(2, TimeUnit.MINUTES);
        List<Integer> excluded = new ArrayList<>(active);
        excluded.add(victim);
        active.add(awaitRunning(replicas, excluded));
        replicas.get(victim).close();
        replicas.set(victim, start(app, names.get(victim), input, output)); // a standby
      }
      // the repartition topic's backlog ends in transaction markers, so wait for the output
      PulsarFixture.awaitNoBacklog(input, app, Duration.ofMinutes(3));
      int expected = produced;
      Await.until(
          "every input counted in the output",
          Duration.ofMinutes(3),
          () -> distinctValues(output) >= expected);
      for (int i : active) { // a duplicate would come with a later checkpoint: wait for two
        ChildJvm replica = replicas.get(i);
        long seen = checkpointOf(replica.awaitLine(l -> l.startsWith("CHECKPOINT"), sec(30)));
        replica.awaitLine(l -> l.startsWith("CHECKPOINT") && checkpointOf(l) > seen + 1, sec(60));
      }
    } finally {
      replicas.forEach(ChildJvm::kill);
      replicas.forEach(ChildJvm::close);
    }

    CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
    System.out.printf(
        "RESULT repartition shards=2 instances=3 partitions=8 inputs=%d outputs=%d duplicates=%d"
            + " lost=%d repeated_counts=%d groups=%d kills=%d%n",
        produced,
        out.outputs(),
        out.duplicates(),
        produced - out.distinct(),
        out.repeatedCounts(),
        out.keys(),
        KILLS);
    out.assertExactlyOnce(produced, CrashJob.GROUPS);
    String repartition = "persistent://public/default/__sluice-repartition-" + app + "-0";
    assertThat(admin().topics().getPartitionedTopicMetadata(repartition).partitions)
        .as("one repartition partition per shard")
        .isEqualTo(2);
  }

  private static long distinctValues(String topic) {
    List<String> lines;
    try {
      lines = PulsarFixture.readAll(topic);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + topic, e);
    }
    return lines.stream().map(l -> l.substring(0, l.indexOf(','))).distinct().count();
  }

  private static long checkpointOf(String line) {
    return Long.parseLong(line.substring("CHECKPOINT ".length()).trim());
  }

  private static Duration sec(long s) {
    return Duration.ofSeconds(s);
  }

  /** Waits for a replica not in {@code excluded} to print RUNNING; returns its index. */
  private static int awaitRunning(List<ChildJvm> replicas, List<Integer> excluded) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < replicas.size(); i++) {
        String line = excluded.contains(i) ? null : replicas.get(i).readLine(Duration.ofMillis(50));
        if (line != null && line.startsWith("RUNNING")) {
          return i;
        }
      }
    }
    throw new AssertionError("no replica became active within 120 s");
  }

  private ChildJvm start(String app, String name, String input, String output) {
    return ChildJvm.builder(CrashJob.class)
        .name("repartition-" + name)
        .jvmArgs(
            "-Xmx384m",
            "-Dcrashjob.app=" + app,
            "-Dcrashjob.replicated=true",
            "-Dcrashjob.shards=2",
            "-Dcrashjob.repartition=true",
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
