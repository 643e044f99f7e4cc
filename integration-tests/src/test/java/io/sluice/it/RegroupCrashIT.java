package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regrouping under SIGKILL: one topic switches between bursts (hot) and silence (cold) while a job
 * with automatic slot groups re-planned every second, counting per key in keyed state, is killed at
 * random moments, some of them in the middle of a regroup. After the last restart the output holds
 * every input exactly once, and every key's running counts are exactly 1..n: its state followed its
 * topic from group to group.
 */
class RegroupCrashIT {
  private static final int KILLS = Integer.getInteger("sluice.regroup.kills", 6);
  private static final int MIN_REGROUPS = 2;

  @TempDir Path stateDir;

  @Test
  void shouldDeliverEveryRecordExactlyOnceWhileRegroupingAndKilled() throws Exception {
    String prefix = uniqueTopic("regroup-crash");
    String output = uniqueTopic("regroup-crash-out");
    admin().topics().createPartitionedTopic(prefix + "-a", 4);
    admin().topics().createNonPartitionedTopic(prefix + "-b");
    admin().topics().createNonPartitionedTopic(prefix + "-c");
    admin().topics().createNonPartitionedTopic(output);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("regroup crash test seed " + seed);

    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean stopProducing = new AtomicBoolean();
    AtomicBoolean hotPhase = new AtomicBoolean(true);
    CompletableFuture<Void> producing =
        CompletableFuture.runAsync(() -> produce(prefix, sent, hotPhase, stopProducing));
    int kills = 0;
    long regroups = 0;
    // Each run starts with the plan the current rates give; topic a's traffic is then switched to
    // the opposite (burst if it started cold, silence if it started hot), so a regroup follows a
    // few seconds later (the broker's rates are updated every 2 s), and the kill lands at a random
    // moment before, during or after it. Until enough kills and regroups happened.
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while ((kills < KILLS || regroups < MIN_REGROUPS) && System.nanoTime() < giveUp) {
      try (ChildJvm job = startJob(prefix, output)) {
        String running = job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
        hotPhase.set(!running.contains("hot-0"));
        long lifetime = 1000 + random.nextInt(6000);
        long until = System.nanoTime() + lifetime * 1_000_000;
        long seen = 0;
        while (System.nanoTime() < until) {
          String line = job.awaitLine(l -> l.startsWith("REGROUPS"), Duration.ofSeconds(30));
          seen = Long.parseLong(line.substring("REGROUPS ".length()));
        }
        regroups += seen;
        job.kill();
        kills++;
      }
    }
    stopProducing.set(true);
    producing.get(1, TimeUnit.MINUTES);

    try (ChildJvm job = startJob(prefix, output)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      PulsarFixture.awaitNoBacklog(prefix + "-a", "regroup-crash", Duration.ofMinutes(3));
      PulsarFixture.awaitNoBacklog(prefix + "-b", "regroup-crash", Duration.ofMinutes(2));
      PulsarFixture.awaitNoBacklog(prefix + "-c", "regroup-crash", Duration.ofMinutes(2));
      job.kill();
    }

    List<String> out = PulsarFixture.readAll(output);
    Map<String, Integer> perId = new HashMap<>();
    Map<String, java.util.TreeSet<Long>> countsPerKey = new HashMap<>();
    int repeatedCounts = 0;
    for (String line : out) {
      String[] f = line.split(",");
      int bar = f[0].indexOf('|');
      perId.merge(bar < 0 ? f[0] : f[0].substring(0, bar), 1, Integer::sum);
      if (!countsPerKey
          .computeIfAbsent(f[1], k -> new java.util.TreeSet<>())
          .add(Long.parseLong(f[2]))) {
        repeatedCounts++;
      }
    }
    int duplicates = perId.values().stream().mapToInt(n -> n - 1).sum();
    int lost = sent.get() - perId.size();
    System.out.printf(
        "RESULT regroup-crash inputs=%d outputs=%d duplicates=%d lost=%d kills=%d regroups=%d%n",
        sent.get(), out.size(), duplicates, lost, kills, regroups);
    assertThat(regroups)
        .as("regroups seen before the kills (seed %d)", seed)
        .isGreaterThanOrEqualTo(MIN_REGROUPS);
    assertThat(duplicates).as("duplicates (seed %d)", seed).isZero();
    assertThat(lost).as("lost (seed %d)", seed).isZero();
    assertThat(out).hasSize(sent.get());
    assertThat(repeatedCounts).as("repeated running counts (seed %d)", seed).isZero();
    for (Map.Entry<String, java.util.TreeSet<Long>> e : countsPerKey.entrySet()) {
      assertThat(e.getValue().last())
          .as("last count of %s (seed %d)", e.getKey(), seed)
          .isEqualTo((long) e.getValue().size());
    }
  }

  private ChildJvm startJob(String prefix, String output) {
    return ChildJvm.builder(RegroupCrashJob.class)
        .jvmArgs("-Xmx512m")
        .args(broker().serviceUrl(), broker().adminUrl(), prefix, output, stateDir.toString())
        .start();
  }

  /**
   * ~400 kB/s on topic a while {@code hotPhase} is set, silence otherwise; b and c get a trickle
   * throughout. Every record carries a unique id before the '|'.
   */
  private static void produce(
      String prefix, AtomicInteger sent, AtomicBoolean hotPhase, AtomicBoolean stop) {
    String pad = "x".repeat(1000);
    try (Producer<byte[]> a = producer(prefix + "-a");
        Producer<byte[]> b = producer(prefix + "-b");
        Producer<byte[]> c = producer(prefix + "-c")) {
      int n = 0;
      while (!stop.get()) {
        if (hotPhase.get()) {
          for (int i = 0; i < 40; i++, n++) {
            a.newMessage()
                .key("a" + (n % 20))
                .value(("a-" + n + "|" + pad).getBytes(StandardCharsets.UTF_8))
                .sendAsync();
            sent.incrementAndGet();
          }
        }
        b.newMessage()
            .key("b" + (n % 5))
            .value(("b-" + n + "|").getBytes(StandardCharsets.UTF_8))
            .sendAsync();
        c.newMessage()
            .key("c" + (n % 5))
            .value(("c-" + n + "|").getBytes(StandardCharsets.UTF_8))
            .sendAsync();
        sent.addAndGet(2);
        n++;
        a.flush();
        b.flush();
        c.flush();
        Thread.sleep(100);
      }
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }

  private static Producer<byte[]> producer(String topic) throws Exception {
    return PulsarFixture.client()
        .newProducer()
        .topic(topic)
        .sendTimeout(0, TimeUnit.SECONDS)
        .blockIfQueueFull(true)
        .create();
  }
}
