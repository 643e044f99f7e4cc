package io.sluice.bench;

import io.sluice.testkit.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;

/**
 * Replicated apps ({@code replicated}, {@code shards}), replicas as child JVMs ({@link
 * ScaleOutReplica}: keyed counts, no sink):
 *
 * <ol>
 *   <li>hand-over: SIGKILL of the active replica while records trickle in, until the standby
 *       processes its first record (wall clock, one host), {@code rounds} times, each split by step
 *       ({@link HandOverTimeline}: the broker's log and the standby's {@code take-over:} lines);
 *       the standby has joined the lease before each kill;
 *   <li>restore: the standby's restore of the changelog ({@code keys} keys) against a plain Reader
 *       reading the same compacted changelog topic in this JVM ({@code restore_ratio}: raw read
 *       time / restore time, so 1.0 is as fast as the raw read);
 *   <li>throughput: a backlog of {@code messages} drained by one replica ({@code shards(1)}) and by
 *       two ({@code shards(2)}), from the last replica's RUNNING to the last record.
 * </ol>
 *
 * Prints {@code RESULT scaleout handover_p50_ms=… handover_max_ms=… restore_ratio=…
 * one_msgs_per_s=… two_msgs_per_s=…}. Args: [rounds=5] [messages=400000] [keys=100000].
 */
public final class ScaleOutBench {
  private static final Pattern RESTORED =
      Pattern.compile("from the changelog in Pulsar in (\\d+) ms");

  private ScaleOutBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int messages = args.length > 1 ? Integer.parseInt(args[1]) : 400_000;
    int keys = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    try (BenchEnv env = new BenchEnv("scaleout")) {
      long[] handover = new long[rounds];
      long[] restore = new long[rounds];
      List<Map<String, Long>> timelines = new ArrayList<>();
      String app = handovers(env, rounds, keys, handover, restore, timelines);
      printMedianTimeline(timelines);
      double rawMs = rawChangelogRead(env, "persistent://public/default/__sluice-changelog-" + app);
      double restoreRatio = rawMs / median(restore);
      double one = drain(env, 1, messages);
      double two = drain(env, 2, messages);
      Arrays.sort(handover);
      System.out.printf(
          "hand-over after SIGKILL (ms): %s; restore of %d keys (ms): %s; raw read of the"
              + " changelog: %.0f ms%n",
          Arrays.toString(handover), keys, Arrays.toString(restore), rawMs);
      System.out.printf(
          "RESULT scaleout handover_p50_ms=%d handover_max_ms=%d restore_ratio=%.2f"
              + " one_msgs_per_s=%.0f two_msgs_per_s=%.0f%n",
          handover[rounds / 2], handover[rounds - 1], restoreRatio, one, two);
    }
  }

  /**
   * Builds {@code keys} keys of state, then kills the active replica {@code rounds} times while
   * records trickle in; returns the app's name.
   */
  private static String handovers(
      BenchEnv env,
      int rounds,
      int keys,
      long[] handover,
      long[] restore,
      List<Map<String, Long>> timelines)
      throws Exception {
    String app = "scaleout-handover-" + System.currentTimeMillis();
    String topic = "persistent://public/default/" + app + "-in";
    env.admin.topics().createPartitionedTopic(topic, 4);
    produce(env, topic, 0, keys, keys);
    List<ChildJvm> replicas = new ArrayList<>();
    AtomicBoolean trickling = new AtomicBoolean(true);
    Thread trickle = null;
    try {
      replicas.add(replica(env, topic, app, "a", 1, true));
      replicas.get(0).awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(120));
      replicas.add(replica(env, topic, app, "b", 1, true));
      awaitProcessed(replicas.get(0), keys);
      trickle = trickle(env, topic, keys, trickling);
      int active = 0;
      for (int r = 0; r < rounds; r++) {
        ChildJvm victim = replicas.get(active);
        ChildJvm standby = replicas.get(1 - active);
        // a hand-over needs a standby: on a loaded host a replica's JVM takes seconds to join
        standby.awaitLine(l -> l.contains("waiting to become active"), Duration.ofSeconds(120));
        Thread.sleep(3000); // the standby settles, checkpoints go on
        long killedAt = System.currentTimeMillis();
        victim.kill();
        String first = standby.awaitLine(l -> l.startsWith("FIRST"), Duration.ofSeconds(180));
        handover[r] = Long.parseLong(first.substring("FIRST ".length())) - killedAt;
        restore[r] = restoreMillis(standby.logFile());
        Map<String, Long> timeline =
            HandOverTimeline.of(standby.logFile(), env.brokerLog(), app, killedAt);
        timelines.add(timeline);
        victim.close();
        replicas.set(active, replica(env, topic, app, active == 0 ? "a" : "b", 1, true));
        active = 1 - active;
        System.out.printf(
            "round %d: hand-over %d ms (restore %d ms); ms after SIGKILL: %s%n",
            r, handover[r], restore[r], timeline);
      }
    } finally {
      trickling.set(false);
      if (trickle != null) {
        trickle.join();
      }
      replicas.forEach(ChildJvm::kill);
      replicas.forEach(ChildJvm::close);
    }
    return app;
  }

  /** Each step's median over the rounds, ms after SIGKILL, in the order of the medians. */
  private static void printMedianTimeline(List<Map<String, Long>> timelines) {
    Map<String, List<Long>> byStep = new LinkedHashMap<>();
    timelines.forEach(
        t -> t.forEach((k, v) -> byStep.computeIfAbsent(k, x -> new ArrayList<>()).add(v)));
    Map<String, Long> medians = new LinkedHashMap<>();
    byStep.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), median(e.getValue().stream().mapToLong(x -> x).toArray())))
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> medians.put(e.getKey(), (long) e.getValue().doubleValue()));
    System.out.println("hand-over timeline, median ms after SIGKILL: " + medians);
  }

  /** The restore time the replica logged, or -1 if it resumed without reading the changelog. */
  private static long restoreMillis(Path log) throws Exception {
    long found = -1;
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = RESTORED.matcher(line);
      if (m.find()) {
        found = Long.parseLong(m.group(1));
      }
    }
    return found;
  }

  /** Reads the compacted changelog topic to its end with a plain Reader; returns the time in ms. */
  private static double rawChangelogRead(BenchEnv env, String topic) throws Exception {
    long start = System.nanoTime();
    int n = 0;
    try (Reader<byte[]> reader =
        env.client
            .newReader(Schema.BYTES)
            .topic(topic)
            .startMessageId(MessageId.earliest)
            .readCompacted(true)
            .create()) {
      while (reader.hasMessageAvailable()) {
        Message<byte[]> m = reader.readNext(30, TimeUnit.SECONDS);
        if (m == null) {
          break;
        }
        n++;
      }
    }
    double ms = (System.nanoTime() - start) / 1e6;
    System.out.printf("raw read of %s: %d messages in %.0f ms%n", topic, n, ms);
    return ms;
  }

  /** A backlog of {@code messages} drained by {@code shards} replicas; returns messages/s. */
  private static double drain(BenchEnv env, int shards, int messages) throws Exception {
    String app = "scaleout-drain" + shards + "-" + System.currentTimeMillis();
    String topic = "persistent://public/default/" + app + "-in";
    env.admin.topics().createPartitionedTopic(topic, 8);
    produce(env, topic, 0, messages, 10_000);
    List<ChildJvm> replicas = new ArrayList<>();
    try {
      for (int i = 0; i < shards; i++) {
        replicas.add(replica(env, topic, app, "r" + i, shards, false));
      }
      long startedAt = 0;
      for (ChildJvm r : replicas) {
        String running = r.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(180));
        startedAt = Math.max(startedAt, Long.parseLong(running.split(" ")[1]));
      }
      long[] counts = new long[shards];
      while (Arrays.stream(counts).sum() < messages) {
        for (int i = 0; i < shards; i++) {
          String line = replicas.get(i).readLine(Duration.ofMillis(50));
          if (line != null && line.startsWith("PROCESSED ")) {
            counts[i] = Long.parseLong(line.substring("PROCESSED ".length()));
          }
        }
      }
      double seconds = (System.currentTimeMillis() - startedAt) / 1000.0;
      double rate = messages / seconds;
      System.out.printf(
          "%d replica(s): %d messages in %.1f s from RUNNING = %.0f msgs/s (per replica %s)%n",
          shards, messages, seconds, rate, Arrays.toString(counts));
      return rate;
    } finally {
      replicas.forEach(ChildJvm::kill);
      replicas.forEach(ChildJvm::close);
    }
  }

  private static void awaitProcessed(ChildJvm replica, long count) {
    replica.awaitLine(
        l -> l.startsWith("PROCESSED ") && Long.parseLong(l.substring(10)) >= count,
        Duration.ofMinutes(5));
  }

  private static void produce(BenchEnv env, String topic, int from, int count, int keys)
      throws Exception {
    try (Producer<byte[]> p = env.producer(topic)) {
      for (int i = from; i < from + count; i++) {
        p.newMessage()
            .key("k" + (i % keys))
            .value(BenchEnv.event(i, System.nanoTime()))
            .sendAsync();
      }
      p.flush();
    }
  }

  /** About 1,000 records a second until {@code on} turns false. */
  private static Thread trickle(BenchEnv env, String topic, int keys, AtomicBoolean on)
      throws Exception {
    Producer<byte[]> p = env.producer(topic);
    Thread t =
        new Thread(
            () -> {
              try (p) {
                for (int i = 0; on.get(); i++) {
                  p.newMessage().key("k" + (i % keys)).value(BenchEnv.event(i, 0)).sendAsync();
                  if (i % 10 == 0) {
                    Thread.sleep(10);
                  }
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            },
            "scaleout-trickle");
    t.start();
    return t;
  }

  /**
   * A replica in a child JVM; {@code logToStdout}: its log lines go to its stdout too, where the
   * bench can wait for them (the standby's "waiting to become active").
   */
  private static ChildJvm replica(
      BenchEnv env, String topic, String app, String name, int shards, boolean logToStdout) {
    return ChildJvm.builder(ScaleOutReplica.class)
        .name("scaleout-" + name)
        .jvmArgs(
            "-Xmx512m",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.logFile=" + (logToStdout ? "System.out" : "System.err"))
        .args(
            env.serviceUrl,
            env.adminUrl,
            topic,
            app,
            name,
            env.work.resolve("state-" + app + "-" + name).toString(),
            Integer.toString(shards))
        .start();
  }

  private static double median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
