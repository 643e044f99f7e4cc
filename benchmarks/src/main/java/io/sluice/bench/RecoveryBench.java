package io.sluice.bench;

import io.sluice.testkit.ChildJvm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Producer;

/**
 * Recovery after SIGKILL at scale: an app ({@link RecoveryApp}, child JVM, {@code -Xmx256m})
 * reading {@code topics × partitions} partitions by pattern builds {@code keys} keys of state (one
 * record per key), checkpoints, and is killed; one more record per partition arrives while it is
 * down; then it is started again on the same state directory. Measured on one clock (this host):
 * from the restart's launch to RUNNING and to its first processed record, and the launch to the
 * first record of the first run (a start with no state) for comparison.
 *
 * <p>Prints {@code RESULT recovery partitions=… keys=… restart_to_running_ms=…
 * restart_to_processing_ms=… first_start_to_processing_ms=…}. Args: [topics=250] [partitions=4]
 * [keys=100000]
 */
public final class RecoveryBench {
  private RecoveryBench() {}

  public static void main(String[] args) throws Exception {
    int topics = args.length > 0 ? Integer.parseInt(args[0]) : 250;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int keys = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    try (BenchEnv env = new BenchEnv("recovery")) {
      String prefix = "persistent://public/default/rc" + System.currentTimeMillis() + "-t";
      List<String> all = new ArrayList<>();
      List<CompletableFuture<Void>> creating = new ArrayList<>();
      for (int t = 0; t < topics; t++) {
        creating.add(env.admin.topics().createPartitionedTopicAsync(prefix + t, partitions));
        for (int p = 0; p < partitions; p++) {
          all.add(prefix + t + "-partition-" + p);
        }
      }
      CompletableFuture.allOf(creating.toArray(CompletableFuture[]::new)).get();
      produce(env, all, 0, keys);
      Path state = env.work.resolve("state");
      String regex = prefix.replace(".", "\\.") + "[0-9]+";

      long launched = System.currentTimeMillis();
      ChildJvm first = app(env, regex, state, "first");
      long firstRecord = stamp(first, "FIRST");
      first.awaitLine(
          l -> l.startsWith("PROCESSED ") && Long.parseLong(l.substring(10)) >= keys,
          Duration.ofMinutes(10));
      Thread.sleep(3000); // a few checkpoints (every second) take the whole state
      first.kill();
      first.close();
      produce(env, all, keys, all.size()); // one record per partition while it is down

      long relaunched = System.currentTimeMillis();
      long running;
      long processing;
      try (ChildJvm again = app(env, regex, state, "restart")) {
        running = stamp(again, "RUNNING");
        processing = stamp(again, "FIRST");
        again.awaitLine(
            l -> l.startsWith("PROCESSED ") && Long.parseLong(l.substring(10)) >= all.size(),
            Duration.ofMinutes(10));
        again.kill();
      }
      System.out.printf(
          "first start: launch to first record %d ms; restart after SIGKILL: launch to RUNNING %d"
              + " ms, to first record %d ms%n",
          firstRecord - launched, running - relaunched, processing - relaunched);
      System.out.printf(
          "RESULT recovery partitions=%d keys=%d restart_to_running_ms=%d"
              + " restart_to_processing_ms=%d first_start_to_processing_ms=%d%n",
          all.size(), keys, running - relaunched, processing - relaunched, firstRecord - launched);
    }
  }

  private static ChildJvm app(BenchEnv env, String regex, Path state, String name) {
    return ChildJvm.builder(RecoveryApp.class)
        .name("recovery-" + name)
        .jvmArgs("-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
        .args(env.serviceUrl, env.adminUrl, regex, state.toString())
        .start();
  }

  /** The epoch ms the child printed after {@code word}. */
  private static long stamp(ChildJvm child, String word) {
    String line = child.awaitLine(l -> l.startsWith(word + " "), Duration.ofMinutes(10));
    return Long.parseLong(line.substring(word.length() + 1));
  }

  /** {@code count} records, keys {@code from…}, spread over the partitions one after the other. */
  private static void produce(BenchEnv env, List<String> partitions, int from, int count)
      throws Exception {
    long t0 = System.nanoTime();
    int per = (count + partitions.size() - 1) / partitions.size();
    int id = from;
    for (int start = 0; start < partitions.size() && id < from + count; start += 200) {
      List<Producer<byte[]>> producers = new ArrayList<>();
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (String p : partitions.subList(start, Math.min(partitions.size(), start + 200))) {
        Producer<byte[]> producer =
            env.client
                .newProducer()
                .topic(p)
                .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
                .create();
        producers.add(producer);
        for (int i = 0; i < per && id < from + count; i++, id++) {
          sent.add(producer.newMessage().key("k" + id).value(BenchEnv.event(id, 0)).sendAsync());
        }
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
      for (Producer<byte[]> p : producers) {
        p.close();
      }
    }
    System.out.printf(
        "produced %,d records in %.1f s%n", id - from, (System.nanoTime() - t0) / 1e9);
  }
}
