package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;

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
 * A sharded app with fewer replicas than shards: 4 shards, 2 replicas of {@link ReplicaJob} (keyed
 * counts, transactional Pulsar sink), each a child JVM. The two share the shards 2 and 2. In the
 * first round one is SIGKILLed and stays down until the other reads every partition (all 4 shards);
 * in the others it comes back at once. Each time it is back, the other hands it two shards again.
 * Every input is in the output exactly once and every key's counts run 1..n.
 */
@Timeout(900)
class FewerReplicasIT {
  private static final int SHARDS = 4;
  private static final int PARTITIONS = 8; // per topic; 2 topics
  private static final int ALL = 2 * PARTITIONS;
  private static final int PER_ROUND = 8_000;
  private static final int KEYS = 50;
  private static final int ROUNDS = 3;
  private static final Duration SHARING = Duration.ofMinutes(3);

  @TempDir Path dirs;

  @Test
  void shouldReadEveryShardWithFewerReplicasThroughKills() throws Exception {
    String app = "fewer-" + Long.toHexString(System.nanoTime());
    List<String> inputs = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      String input = uniqueTopic("fewer-in");
      admin().topics().createPartitionedTopic(input, PARTITIONS);
      inputs.add(input);
    }
    String output = uniqueTopic("fewer-out");
    admin().topics().createNonPartitionedTopic(output);
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("FewerReplicasIT seed " + seed);

    int produced = 0;
    try (Replicas replicas = new Replicas(app, SHARDS, inputs, dirs, "pulsar", output)) {
      produced = Replicas.produce(inputs, produced, PER_ROUND, KEYS);
      replicas.join("a");
      replicas.join("b");
      awaitShared(replicas);
      replicas.awaitCommitted(); // every shard has a changelog checkpoint before the first kill
      for (int round = 0; round < ROUNDS; round++) {
        CompletableFuture<Void> producing =
            Replicas.produceAsync(inputs, produced, PER_ROUND, KEYS);
        produced += PER_ROUND * inputs.size();
        Thread.sleep(300 + random.nextInt(3000));
        int victim = random.nextInt(2);
        replicas.kill(victim);
        if (round == 0) {
          // one replica, four shards: it takes the dead one's two over and reads everything
          replicas.awaitReading(1 - victim, n -> n == ALL, SHARING);
        }
        replicas.restart(victim);
        producing.get(2, TimeUnit.MINUTES);
        awaitShared(replicas);
      }
      replicas.awaitCommitted();
      replicas.awaitCheckpoints(0, 2);
      replicas.awaitCheckpoints(1, 2);
    }

    CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
    System.out.printf(
        "RESULT fewer-replicas shards=%d replicas=2 partitions=%d inputs=%d outputs=%d"
            + " duplicates=%d lost=%d kills=%d%n",
        SHARDS, ALL, produced, out.outputs(), out.duplicates(), produced - out.distinct(), ROUNDS);
    out.assertExactlyOnce(produced, KEYS);
  }

  /** Waits until each replica reads two shards' partitions: the running ones share the shards. */
  private static void awaitShared(Replicas replicas) {
    replicas.awaitReading(0, n -> n == ALL / 2, SHARING);
    replicas.awaitReading(1, n -> n == ALL / 2, SHARING);
  }
}
