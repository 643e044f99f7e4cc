package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.Producer;

/**
 * One hot topic at ~10× the combined traffic of 50 cold topics, with a fixed CPU cost per record (a
 * stand-in for real per-record work). Measures the cold topics' publish → processed p99 with every
 * topic in one shared slot group, then with automatic slot groups (the hot topic alone), in the
 * same run. Prints {@code RESULT slotgroups cold_p99_lag_ms_shared=… cold_p99_lag_ms_grouped=…
 * ratio=…} (ratio = grouped / shared; lower is better).
 */
public final class SlotGroupsBench {
  private SlotGroupsBench() {}

  public static void main(String[] args) throws Exception {
    int coldRatePerTopic = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    long workNanos = args.length > 2 ? Long.parseLong(args[2]) : 60_000;
    int coldTopics = 50;
    int hotRate = coldRatePerTopic * coldTopics * 10;
    try (BenchEnv env = new BenchEnv("slotgroups")) {
      double shared =
          run(env, "shared", coldTopics, coldRatePerTopic, hotRate, seconds, workNanos, false);
      double grouped =
          run(env, "grouped", coldTopics, coldRatePerTopic, hotRate, seconds, workNanos, true);
      System.out.printf(
          "RESULT slotgroups cold_p99_lag_ms_shared=%.1f cold_p99_lag_ms_grouped=%.1f ratio=%.3f%n",
          shared, grouped, grouped / shared);
    }
  }

  private static double run(
      BenchEnv env,
      String mode,
      int coldTopics,
      int coldRate,
      int hotRate,
      int seconds,
      long workNanos,
      boolean grouped)
      throws Exception {
    String prefix =
        "persistent://public/default/bench-sg-" + mode + "-" + System.currentTimeMillis();
    String hot = prefix + "-hot";
    env.admin.topics().createPartitionedTopic(hot, 4);
    List<String> cold = new ArrayList<>();
    for (int i = 0; i < coldTopics; i++) {
      cold.add(prefix + "-cold-" + i);
      env.admin.topics().createNonPartitionedTopic(cold.get(i));
    }
    AtomicBoolean stop = new AtomicBoolean();
    long[] coldLatency = new long[coldRate * coldTopics * (seconds + 30)];
    AtomicInteger coldSeen = new AtomicInteger();
    Thread producer =
        new Thread(() -> produce(env, hot, cold, coldRate, hotRate, stop), "sg-producer");
    producer.start();
    Thread.sleep(6000); // let the broker measure the rates the automatic plan reads
    Sluice.Builder builder =
        Sluice.builder()
            .name("bench-sg-" + mode)
            .pulsar(env.serviceUrl, env.adminUrl)
            .stateDir(env.work.resolve("state-" + mode))
            .checkpointInterval(Duration.ofSeconds(1))
            .discoveryInterval(Duration.ZERO);
    if (grouped) {
      builder.autoSlotGroups(coldRate * 200.0 * 5, 1);
    }
    try (Sluice app = builder.build()) {
      app.stream(
              PulsarSource.topicsMatching(prefix + "-.*")
                  .startAt(io.sluice.source.StartPosition.latest()))
          .forEach(
              r -> {
                long until = System.nanoTime() + workNanos;
                while (System.nanoTime() < until) {
                  Thread.onSpinWait();
                }
                if (!r.topic().endsWith("-hot")) {
                  String v = new String(r.value(), StandardCharsets.UTF_8);
                  long sent = Long.parseLong(v.substring(0, v.indexOf(',')));
                  int i = coldSeen.getAndIncrement();
                  if (i < coldLatency.length) {
                    coldLatency[i] = System.nanoTime() - sent;
                  }
                }
              });
      app.start();
      System.out.println(mode + ": slot groups " + app.slotGroups().keySet());
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      stop.set(true);
      producer.join();
    }
    long[] measured =
        Arrays.stream(coldLatency, 0, Math.min(coldSeen.get(), coldLatency.length))
            .filter(v -> v > 0)
            .sorted()
            .toArray();
    double p99 = measured.length == 0 ? Double.NaN : measured[(int) (measured.length * 0.99)] / 1e6;
    System.out.printf("%s: cold records %d, cold p99 %.1f ms%n", mode, measured.length, p99);
    return p99;
  }

  private static void produce(
      BenchEnv env, String hot, List<String> cold, int coldRate, int hotRate, AtomicBoolean stop) {
    try {
      Producer<byte[]> hotProducer = env.producer(hot);
      List<Producer<byte[]>> coldProducers = new ArrayList<>();
      for (String t : cold) {
        coldProducers.add(env.producer(t));
      }
      byte[] pad = new byte[180];
      Arrays.fill(pad, (byte) 'x');
      String padding = new String(pad, StandardCharsets.UTF_8);
      long tick = 0;
      long start = System.nanoTime();
      while (!stop.get()) {
        // every 10 ms: hotRate/100 hot messages and coldRate/100 per cold topic (fractions carried)
        for (int i = 0; i < hotRate / 100; i++) {
          hotProducer.sendAsync(
              (System.nanoTime() + "," + padding).getBytes(StandardCharsets.UTF_8));
        }
        if (coldRate >= 100 || tick % Math.max(1, 100 / coldRate) == 0) {
          for (Producer<byte[]> p : coldProducers) {
            for (int i = 0; i < Math.max(1, coldRate / 100); i++) {
              p.sendAsync((System.nanoTime() + "," + padding).getBytes(StandardCharsets.UTF_8));
            }
          }
        }
        tick++;
        long due = start + tick * 10_000_000L;
        long sleep = due - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
        }
      }
      hotProducer.close();
      for (Producer<byte[]> p : coldProducers) {
        p.close();
      }
    } catch (Exception e) {
      throw new IllegalStateException("producing failed", e);
    }
  }
}
