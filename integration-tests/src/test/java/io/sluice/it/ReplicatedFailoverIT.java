package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replicated(true)}: replicas of {@link ReplicaJob} (keyed counts over every input topic,
 * transactional Pulsar sink), each a child JVM on its own state directory. In each round input
 * arrives and, at a random moment, one active replica (there is one per shard) goes: SIGKILLed (it
 * comes back as a standby on its old, now stale, directory), or, in a rolling restart, a new
 * replica joins on a fresh, empty directory and an active one leaves gracefully (SIGTERM: it closes
 * its app). A standby takes the shard over from its changelog. Every input is in the output exactly
 * once and every key's counts run 1..n, also when two shards' replicas share the partitions of two
 * topics.
 */
@Timeout(900)
class ReplicatedFailoverIT {
  private static final int PER_ROUND = 8_000;
  private static final int KEYS = 50;

  /** What happens to the replicas in one round. */
  private enum Round {
    /** An active replica is SIGKILLed and restarted on its directory. */
    KILL,
    /** A new replica joins on a fresh directory, then an active one leaves gracefully for good. */
    ROLL
  }

  @TempDir Path dirs;

  @Test
  void shouldHandTheAppOverExactlyOnceWhenTheActiveReplicaIsKilled() throws Exception {
    run("replicated", 1, 1, 4, List.of(Round.KILL, Round.KILL, Round.KILL, Round.KILL));
  }

  /** 3 instances share 2 shards; kills, then a rolling restart (a 4th joins, one leaves). */
  @Test
  void shouldShareTwoShardsExactlyOnceThroughKillsAndARollingRestart() throws Exception {
    run("scaleout", 2, 2, 16, List.of(Round.KILL, Round.KILL, Round.ROLL, Round.KILL));
  }

  private void run(String scenario, int shards, int topics, int partitions, List<Round> rounds)
      throws Exception {
    String app = scenario + "-" + Long.toHexString(System.nanoTime());
    List<String> inputs = new ArrayList<>();
    for (int t = 0; t < topics; t++) {
      String input = uniqueTopic(scenario + "-in");
      admin().topics().createPartitionedTopic(input, partitions);
      inputs.add(input);
    }
    String output = uniqueTopic(scenario + "-out");
    admin().topics().createNonPartitionedTopic(output);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("ReplicatedFailoverIT seed " + seed);

    int produced = 0;
    List<String> layers;
    int instances;
    int kills;
    int leaves;
    try (Replicas replicas = new Replicas(app, shards, inputs, dirs, "pulsar", output)) {
      produced = Replicas.produce(inputs, produced, PER_ROUND, KEYS);
      for (String name : List.of("a", "b", "c")) {
        replicas.join(name);
      }
      replicas.awaitActive();
      // every shard has a checkpoint in its changelog before the first kill, so take-overs restore
      // from it (a kill before any would restore from the durable cursors, which is also right,
      // but would leave the changelog path untested in that run)
      replicas.awaitCommitted();
      for (Round round : rounds) {
        CompletableFuture<Void> producing =
            Replicas.produceAsync(inputs, produced, PER_ROUND, KEYS);
        produced += PER_ROUND * inputs.size();
        if (round == Round.ROLL) {
          replicas.join("n" + replicas.instances());
        }
        Thread.sleep(300 + random.nextInt(3000));
        if (round == Round.KILL) {
          replicas.kill(random);
        } else {
          replicas.leave(random);
        }
        producing.get(2, TimeUnit.MINUTES);
      }
      replicas.awaitCommitted();
      layers = replicas.layers();
      instances = replicas.instances();
      kills = replicas.kills();
      leaves = replicas.leaves();
    }

    CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
    System.out.printf(
        "RESULT %s instances=%d inputs=%d outputs=%d duplicates=%d lost=%d kills=%d handovers=%d"
            + " leaves=%d shards=%d partitions=%d layers=%s%n",
        scenario,
        instances,
        produced,
        out.outputs(),
        out.duplicates(),
        produced - out.distinct(),
        kills,
        layers.size(),
        leaves,
        shards,
        topics * partitions,
        layers);
    out.assertExactlyOnce(produced, KEYS);
    assertThat(layers).as("take-overs that restored from the changelog").contains("CHANGELOG");
  }
}
