package io.sluice.bench;

import io.sluice.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.Producer;

/**
 * One instance reading many small topics, as the ETL sample does: {@code topics} topics of {@code
 * partitions} partitions, each partition holding {@code perPartition} JSON events of ~200 B, read
 * by pattern with {@code -Xmx<heap>} in a child JVM ({@link ManyTopicsApp}); the baseline is plain
 * Readers on the same partitions in a child JVM with the same heap ({@link ManyTopicsRaw}). The two
 * alternate, {@code rounds} times.
 *
 * <p>Prints per run: ms from {@code main()} to the first record and to RUNNING (Sluice: {@code
 * start()} returned; raw: every Reader created), threads, heap after the drain, and the drain rate
 * from the first record to the last; then {@code RESULT manytopics partitions=… threads=… heap_mb=…
 * start_ms=… first_record_ms=… close_ms=… msgs_per_s=… raw_msgs_per_s=… ratio=…} (medians).
 *
 * <p>Args: [topics=1000] [partitions=4] [perPartition=100] [rounds=1] [heap=256m]
 */
public final class ManyTopicsBench {
  private ManyTopicsBench() {}

  public static void main(String[] args) throws Exception {
    int topics = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int perPartition = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    String heap = args.length > 4 ? args[4] : "256m";
    long expected = (long) topics * partitions * perPartition;
    try (BenchEnv env = new BenchEnv("manytopics")) {
      String prefix = "persistent://public/default/mt" + System.currentTimeMillis() + "-t";
      Path partitionsFile = env.work.resolve("partitions.txt");
      List<String> all = createTopics(env, prefix, topics, partitions);
      Files.createDirectories(env.work);
      Files.write(partitionsFile, all);
      produce(env, all, perPartition);
      double[] raw = new double[rounds];
      double[] sluice = new double[rounds];
      double[] ratios = new double[rounds];
      Map<String, Long> last = new HashMap<>();
      for (int r = 0; r < rounds; r++) {
        Map<String, Long> rawRun =
            run(
                ChildJvm.builder(ManyTopicsRaw.class)
                    .name("manytopics-raw-" + r)
                    .jvmArgs("-Xmx" + heap)
                    .args(env.serviceUrl, partitionsFile.toString(), Long.toString(expected)),
                "raw",
                expected);
        Map<String, Long> sluiceRun =
            run(
                ChildJvm.builder(ManyTopicsApp.class)
                    .name("manytopics-sluice-" + r)
                    .jvmArgs("-Xmx" + heap, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                    .args(
                        env.serviceUrl,
                        env.adminUrl,
                        prefix.replace(".", "\\.") + "[0-9]+",
                        Long.toString(expected),
                        env.work.resolve("state-" + r).toString()),
                "sluice",
                expected);
        raw[r] = rawRun.get("rate");
        sluice[r] = sluiceRun.get("rate");
        ratios[r] = sluice[r] / raw[r];
        last = sluiceRun;
        System.out.printf("round %d: ratio %.3f%n", r + 1, ratios[r]);
      }
      System.out.printf(
          "RESULT manytopics partitions=%d threads=%d heap_mb=%d start_ms=%d first_record_ms=%d"
              + " close_ms=%d msgs_per_s=%.0f raw_msgs_per_s=%.0f ratio=%.3f%n",
          all.size(),
          last.get("threads"),
          last.get("heap_mb"),
          last.get("RUNNING"),
          last.get("FIRST"),
          last.get("CLOSED"),
          BenchEnv.median(sluice),
          BenchEnv.median(raw),
          BenchEnv.median(ratios));
    }
  }

  /** Creates the topics, a few hundred requests in flight; returns every partition's name. */
  private static List<String> createTopics(BenchEnv env, String prefix, int topics, int partitions)
      throws Exception {
    long t0 = System.nanoTime();
    List<String> all = new ArrayList<>();
    List<CompletableFuture<Void>> creating = new ArrayList<>();
    for (int t = 0; t < topics; t++) {
      String topic = prefix + t;
      creating.add(env.admin.topics().createPartitionedTopicAsync(topic, partitions));
      for (int p = 0; p < partitions; p++) {
        all.add(topic + "-partition-" + p);
      }
      if (creating.size() == 200) {
        CompletableFuture.allOf(creating.toArray(CompletableFuture[]::new)).get();
        creating.clear();
      }
    }
    CompletableFuture.allOf(creating.toArray(CompletableFuture[]::new)).get();
    System.out.printf(
        "created %d topics of %d partitions in %.1f s%n",
        topics, partitions, (System.nanoTime() - t0) / 1e9);
    return all;
  }

  /** {@code perPartition} events into each partition, a few hundred producers at a time. */
  private static void produce(BenchEnv env, List<String> partitions, int perPartition)
      throws Exception {
    long t0 = System.nanoTime();
    long id = 0;
    for (int from = 0; from < partitions.size(); from += 200) {
      List<CompletableFuture<Producer<byte[]>>> creating = new ArrayList<>();
      for (String p : partitions.subList(from, Math.min(partitions.size(), from + 200))) {
        creating.add(
            env.client
                .newProducer()
                .topic(p)
                .blockIfQueueFull(true)
                .batchingMaxPublishDelay(5, java.util.concurrent.TimeUnit.MILLISECONDS)
                .createAsync());
      }
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (var f : creating) {
        Producer<byte[]> producer = f.get();
        for (int i = 0; i < perPartition; i++) {
          sent.add(producer.sendAsync(BenchEnv.event(id++, 0)));
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
      for (var f : creating) {
        f.get().close();
      }
    }
    System.out.printf("produced %,d messages in %.1f s%n", id, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Runs one child to its end; returns its figures: FIRST, RUNNING, DONE, CLOSED (ms), threads,
   * peak_threads, heap_mb, rss_mb, cpu_ms and rate (msgs/s from the first record to the last).
   */
  private static Map<String, Long> run(ChildJvm.Builder builder, String kind, long expected) {
    Map<String, Long> out = new HashMap<>();
    try (ChildJvm child = builder.start()) {
      String line;
      do {
        line = child.awaitLine(l -> true, Duration.ofMinutes(10));
        String[] words = line.split(" ");
        switch (words[0]) {
          case "FIRST", "RUNNING", "DONE", "CLOSED" -> out.put(words[0], Long.parseLong(words[1]));
          case "STATS" -> {
            for (int i = 1; i < words.length; i++) {
              String[] kv = words[i].split("=");
              out.put(kv[0], Long.parseLong(kv[1]));
            }
          }
          default -> {}
        }
        if (!line.startsWith("FIRST")) {
          System.out.println("  " + kind + ": " + line);
        }
      } while (!line.startsWith("CLOSED"));
      child.waitFor(Duration.ofMinutes(1));
    }
    long drainMs = Math.max(1, out.get("DONE") - out.get("FIRST"));
    out.put("rate", expected * 1000 / drainMs);
    System.out.printf(
        "  %s: first record %d ms after main(), RUNNING %d ms, drain %d ms = %,d msgs/s, close"
            + " %d ms%n",
        kind, out.get("FIRST"), out.get("RUNNING"), drainMs, out.get("rate"), out.get("CLOSED"));
    return out;
  }
}
