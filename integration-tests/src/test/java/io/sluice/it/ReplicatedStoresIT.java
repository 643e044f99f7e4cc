package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ClickHouseServer;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.RedisServer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * Replicas of one app with two shards writing to Redis and ClickHouse ({@link ReplicaJob} {@code
 * stores}): {@code INCRBY} per record into Redis and a tumbling event-time window count per key
 * into ClickHouse, while the active replicas are SIGKILLed at random moments and standbys take
 * their shards over; in the last round one is frozen with SIGSTOP instead and resumed after the
 * take-over (a zombie), and must stop on the fence without committing. Each Redis counter equals
 * the number of inputs with its key, and each (key, window) row is in ClickHouse once with the
 * exact count: each unit's sinks commit and recover their own batches, and a take-over re-commits
 * the restored checkpoint's output idempotently.
 */
@Timeout(900)
class ReplicatedStoresIT {
  private static final int PER_ROUND = 8_000;
  private static final int ROUNDS = 4;
  private static final int KEYS = 50;
  private static final int PARTITIONS = 8;
  private static final long T0 = 1_700_000_000_000L;
  private static final long STEP_MS = 5;
  private static final long WINDOW_MS = ReplicaJob.WINDOW_SECONDS * 1000L;

  @TempDir Path dirs;

  @Test
  void shouldKeepRedisCountersAndClickHouseWindowsExactThroughTakeOvers() throws Exception {
    String app = "stores-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("stores-in");
    admin().topics().createPartitionedTopic(input, PARTITIONS);
    String table = "windows_" + Long.toHexString(System.nanoTime());
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("ReplicatedStoresIT seed " + seed);

    try (RedisServer redis = RedisServer.start(dirs.resolve("redis"));
        ClickHouseServer clickHouse = ClickHouseServer.start(dirs.resolve("clickhouse"));
        RedisClient counters = RedisClient.create(redis.host(), redis.port())) {
      clickHouse.query(
          "CREATE TABLE "
              + table
              + " (key String, window_start Int64, cnt UInt64, _sluice_batch String)"
              + " ENGINE = MergeTree ORDER BY (key, window_start)");
      int produced = 0;
      List<String> layers;
      int kills;
      int freezes;
      try (Replicas replicas =
          new Replicas(
              app,
              2,
              List.of(input),
              dirs.resolve("state"),
              "stores",
              redis.url(),
              clickHouse.httpUrl(),
              table)) {
        produce(input, 0);
        produced += PER_ROUND;
        for (String name : List.of("a", "b", "c")) {
          replicas.join(name);
        }
        replicas.awaitActive();
        // both shards have a checkpoint in their changelog: a take-over restores from it
        replicas.awaitCommitted();
        for (int round = 1; round < ROUNDS; round++) {
          int from = produced;
          CompletableFuture<Void> producing =
              CompletableFuture.runAsync(() -> produce(input, from));
          produced += PER_ROUND;
          Thread.sleep(300 + random.nextInt(3000));
          if (round == ROUNDS - 1) {
            replicas.freeze(random); // a zombie: it wakes up after the take-over
          } else {
            replicas.kill(random);
          }
          producing.get(2, TimeUnit.MINUTES);
        }
        end(input);
        replicas.awaitCommitted();
        layers = replicas.layers();
        kills = replicas.kills();
        freezes = replicas.freezes();
      }

      Map<String, Long> perKey = new HashMap<>();
      Map<String, Long> perWindow = new HashMap<>();
      for (int i = 0; i < produced; i++) {
        perKey.merge(key(i), 1L, Long::sum);
        perWindow.merge(
            key(i) + "," + Math.floorDiv(T0 + i * STEP_MS, WINDOW_MS) * WINDOW_MS, 1L, Long::sum);
      }
      Map<String, Long> counted = new HashMap<>();
      for (String k : counters.keys("count:*")) {
        counted.put(k.substring("count:".length()), Long.parseLong(counters.get(k)));
      }
      Map<String, Long> windows = new HashMap<>();
      long rows = 0;
      long duplicates = 0;
      String tsv =
          clickHouse.query(
              "SELECT key, window_start, count(), sum(cnt) FROM "
                  + table
                  + " GROUP BY key, window_start FORMAT TSV");
      for (String line : tsv.strip().lines().toList()) {
        String[] f = line.split("\t");
        long copies = Long.parseLong(f[2]);
        rows += copies;
        duplicates += copies - 1;
        windows.put(f[0] + "," + f[1], Long.parseLong(f[3]) / copies);
      }
      long wrongCounters =
          perKey.entrySet().stream()
              .filter(e -> !e.getValue().equals(counted.get(e.getKey())))
              .count();
      long wrongWindows =
          perWindow.entrySet().stream()
              .filter(e -> !e.getValue().equals(windows.get(e.getKey())))
              .count();
      System.out.printf(
          "RESULT replicated-stores instances=3 inputs=%d kills=%d freezes=%d handovers=%d"
              + " redis_keys=%d redis_wrong=%d windows=%d rows=%d duplicates=%d wrong_counts=%d"
              + " layers=%s%n",
          produced,
          kills,
          freezes,
          layers.size(),
          counted.size(),
          wrongCounters,
          perWindow.size(),
          rows,
          duplicates,
          wrongWindows,
          layers);
      assertThat(counted).as("Redis counters per key").isEqualTo(perKey);
      assertThat(duplicates).as("window rows in ClickHouse more than once").isZero();
      assertThat(windows).as("ClickHouse window counts per key and window").isEqualTo(perWindow);
      assertThat(layers).as("take-overs that restored from the changelog").contains("CHANGELOG");
    }
  }

  private static String key(int i) {
    return "k" + (i % KEYS);
  }

  /** {@code PER_ROUND} records from {@code from} on; event time grows with the record's number. */
  private static void produce(String input, int from) {
    try {
      PulsarFixture.produce(
          input, from, PER_ROUND, ReplicatedStoresIT::key, i -> "m-" + i, i -> T0 + i * STEP_MS, 0);
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }

  /** One end marker per partition, far in event time ahead: every window of the input closes. */
  private static void end(String input) throws Exception {
    for (int p = 0; p < PARTITIONS; p++) {
      try (Producer<String> producer =
          PulsarFixture.client()
              .newProducer(Schema.STRING)
              .topic(input + "-partition-" + p)
              .create()) {
        producer
            .newMessage()
            .key(ReplicaJob.END)
            .value("end")
            .eventTime(T0 + 1_000_000_000L)
            .send();
      }
    }
  }
}
