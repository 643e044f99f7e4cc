package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * keyBy across shards: {@link ReplicaJob} ({@code pulsar-by-group}) counts by a group of the value
 * that is not how the input is partitioned (every group's records are spread over all partitions,
 * so over both shards), in a 2-shard app of 3 replicas whose active ones are SIGKILLed while input
 * arrives. Each group's count must run 1..n in one sequence: without the repartition topic each
 * shard would count its part of a group on its own and the counts would repeat.
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

    int produced = 0;
    try (Replicas replicas =
        new Replicas(app, 2, List.of(input), dirs, "pulsar-by-group", output)) {
      PulsarFixture.produce(input, "m", 0, PER_ROUND, 50);
      produced += PER_ROUND;
      for (String name : List.of("a", "b", "c")) {
        replicas.join(name);
      }
      replicas.awaitActive();
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
        replicas.kill(random);
        producing.get(2, TimeUnit.MINUTES);
      }
      replicas.awaitCommitted();
      // the input is committed; what went through the repartition topic follows a checkpoint later
      // (its backlog ends in transaction markers, so wait for the output instead)
      int expected = produced;
      Await.until(
          "every input counted in the output",
          Duration.ofMinutes(3),
          () -> distinctValues(output) >= expected);
      replicas.awaitCommitted(); // a duplicate would come with a later checkpoint
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
    out.assertExactlyOnce(produced, ReplicaJob.GROUPS);
    String repartition = "persistent://public/default/__sluice-repartition-" + app + "-0";
    assertThat(admin().topics().getPartitionedTopicMetadata(repartition).partitions)
        .as("one repartition partition per shard")
        .isEqualTo(2);
    System.out.println(
        "repartition topic backlog after the output was complete: "
            + admin().topics().getPartitionedStats(repartition, false).getSubscriptions().get(app));
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
}
