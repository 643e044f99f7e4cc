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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replicated(true)}: replicas of {@link CrashJob} (keyed counts over every input topic,
 * transactional Pulsar sink), each a child JVM on its own state directory. The active replicas (one
 * per shard) are SIGKILLed at random moments while input arrives; a standby takes the shard over
 * from its changelog, and the killed one comes back as a standby on its old, now stale, directory.
 * Every input is in the output exactly once and every key's counts run 1..n, also when two shards'
 * replicas share the partitions of two topics.
 */
@Timeout(900)
class ReplicatedFailoverIT {
  private static final int PER_ROUND = 8_000;
  private static final int KEYS = 50;
  private static final int KILLS = 4;

  @TempDir Path dirs;

  /** The recovery layer of each take-over. */
  private final List<String> layers = new ArrayList<>();

  @Test
  void shouldHandTheAppOverExactlyOnceWhenTheActiveReplicaIsKilled() throws Exception {
    run(1, 1, 4);
  }

  @Test
  void shouldShareTwoShardsAmongReplicasExactlyOnceThroughKills() throws Exception {
    run(2, 2, 8);
  }

  private void run(int shards, int topics, int partitions) throws Exception {
    String app = "replicated-" + Long.toHexString(System.nanoTime());
    List<String> inputs = new ArrayList<>();
    for (int t = 0; t < topics; t++) {
      String input = uniqueTopic("replicated-in");
      admin().topics().createPartitionedTopic(input, partitions);
      inputs.add(input);
    }
    String output = uniqueTopic("replicated-out");
    admin().topics().createNonPartitionedTopic(output);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("ReplicatedFailoverIT seed " + seed);

    List<String> names = List.of("a", "b", "c", "d").subList(0, shards + 2);
    List<ChildJvm> replicas = new ArrayList<>();
    Set<Integer> active = new TreeSet<>();
    int produced = 0;
    int handovers = 0;
    try {
      produced = produce(inputs, produced);
      for (String name : names) {
        replicas.add(start(app, shards, name, inputs, output));
      }
      while (active.size() < shards) {
        active.add(awaitRunning(replicas, active, false));
      }
      for (int kill = 0; kill < KILLS; kill++) {
        int from = produced;
        CompletableFuture<Void> producing =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    produce(inputs, from);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        produced += PER_ROUND * inputs.size();
        Thread.sleep(300 + random.nextInt(3000));
        int victim = new ArrayList<>(active).get(random.nextInt(active.size()));
        replicas.get(victim).kill();
        active.remove(victim);
        producing.get(2, TimeUnit.MINUTES);
        Set<Integer> excluded = new TreeSet<>(active);
        excluded.add(victim);
        active.add(awaitRunning(replicas, excluded, true));
        handovers++;
        replicas.get(victim).close();
        replicas.set(victim, start(app, shards, names.get(victim), inputs, output)); // standby
      }
      for (String input : inputs) {
        PulsarFixture.awaitNoBacklog(input, app, Duration.ofMinutes(3));
      }
      for (int i : active) { // every shard's replica completes two more checkpoints
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
        "RESULT replicated shards=%d instances=%d partitions=%d inputs=%d outputs=%d"
            + " duplicates=%d lost=%d kills=%d handovers=%d layers=%s%n",
        shards,
        names.size(),
        topics * partitions,
        produced,
        out.outputs(),
        out.duplicates(),
        produced - out.distinct(),
        KILLS,
        handovers,
        layers);
    out.assertExactlyOnce(produced, KEYS);
    assertThat(layers).as("take-overs that restored from the changelog").contains("CHANGELOG");
  }

  /** The next {@code PER_ROUND} values on each input topic; returns the next value's number. */
  private static int produce(List<String> inputs, int from) throws Exception {
    int next = from;
    for (String input : inputs) {
      PulsarFixture.produce(input, "m", next, PER_ROUND, KEYS);
      next += PER_ROUND;
    }
    return next;
  }

  private static Duration sec(long s) {
    return Duration.ofSeconds(s);
  }

  private static long checkpointOf(String line) {
    return Long.parseLong(line.substring("CHECKPOINT ".length()).trim());
  }

  /**
   * Waits for a replica not in {@code excluded} to print RUNNING (it took a lease and recovered);
   * returns its index. {@code takeover}: the lease was held before; the recovery layer is kept (the
   * changelog; its own directory if that holds the changelog's newest checkpoint; the durable
   * cursor if the replica before completed no checkpoint in the changelog).
   */
  private int awaitRunning(List<ChildJvm> replicas, Set<Integer> excluded, boolean takeover)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < replicas.size(); i++) {
        if (excluded.contains(i)) {
          continue;
        }
        String line = replicas.get(i).readLine(Duration.ofMillis(100));
        while (line != null && !line.startsWith("RUNNING")) {
          line = replicas.get(i).readLine(Duration.ofMillis(10));
        }
        if (line != null) {
          if (takeover) {
            layers.add(line.substring("RUNNING layer=".length()));
          }
          return i;
        }
      }
    }
    throw new AssertionError("no replica became active within 120 s");
  }

  private ChildJvm start(String app, int shards, String name, List<String> inputs, String output) {
    return ChildJvm.builder(CrashJob.class)
        .name("replica-" + name)
        .jvmArgs(
            "-Xmx384m",
            "-Dcrashjob.app=" + app,
            "-Dcrashjob.replicated=true",
            "-Dcrashjob.shards=" + shards,
            "-Dcrashjob.instance=" + name)
        .args(
            broker().serviceUrl(),
            broker().adminUrl(),
            String.join(",", inputs),
            output,
            dirs.resolve(name).toString(),
            "300")
        .start();
  }
}
