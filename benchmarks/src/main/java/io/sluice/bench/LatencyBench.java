package io.sluice.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;

/**
 * Publishes at a fixed rate (default 10,000 msg/s for 60 s) to 8 partitions while two consumers
 * read the same messages at the same time: plain Readers with listeners (raw), and a Sluice job
 * (decode JSON, forEach) checkpointing every second. Latency is publish call → processed, measured
 * with one clock (same JVM). Prints {@code RESULT latency raw_p99_ms=… sluice_p99_ms=…
 * added_p99_ms=… max_checkpoint_stall_ms=…}.
 */
public final class LatencyBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LatencyBench() {}

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    int warmupSeconds = Math.min(5, seconds / 6);
    int total = rate * seconds;
    try (BenchEnv env = new BenchEnv("latency")) {
      String topic = "persistent://public/default/bench-latency-" + System.currentTimeMillis();
      env.admin.topics().createPartitionedTopic(topic, 8);
      long[] rawLatency = new long[total];
      long[] sluiceLatency = new long[total];
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      List<Reader<byte[]>> readers = new ArrayList<>();
      for (int p = 0; p < 8; p++) {
        readers.add(
            env.client
                .newReader()
                .topic(topic + "-partition-" + p)
                .startMessageId(MessageId.earliest)
                .readerListener((reader, m) -> record(rawLatency, m.getValue(), System.nanoTime()))
                .create());
      }
      try (Sluice app =
          Sluice.builder()
              .name("bench-latency")
              .pulsar(env.serviceUrl, env.adminUrl)
              .stateDir(env.work.resolve("state"))
              .checkpointInterval(Duration.ofSeconds(1))
              .discoveryInterval(Duration.ZERO)
              .meterRegistry(meters)
              .build()) {
        app.stream(PulsarSource.topics(topic))
            .forEach(r -> record(sluiceLatency, r.value(), System.nanoTime()));
        app.start();
        try (Producer<byte[]> producer = env.producer(topic)) {
          long start = System.nanoTime();
          for (int i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long now;
            while ((now = System.nanoTime()) < due) {
              if (due - now > 200_000) {
                Thread.sleep(0, 100_000);
              }
            }
            producer.sendAsync(BenchEnv.event(i, System.nanoTime()));
          }
          producer.flush();
        }
        Thread.sleep(3000);
        int from = warmupSeconds * rate;
        double[] raw = percentiles(rawLatency, from);
        double[] sl = percentiles(sluiceLatency, from);
        Timer stall = meters.get("sluice.checkpoint.stall").timer();
        double maxStallMs = stall.max(TimeUnit.MICROSECONDS) / 1000.0;
        System.out.printf(
            "raw    p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  (missing %d)%n",
            raw[0], raw[1], raw[2], missing(rawLatency, from));
        System.out.printf(
            "sluice p50 %.2f ms  p99 %.2f ms  p999 %.2f ms  (missing %d)%n",
            sl[0], sl[1], sl[2], missing(sluiceLatency, from));
        System.out.printf(
            "checkpoints %d, barrier stall max %.3f ms (note: the max is over the last"
                + " ~2 minutes of the timer)%n",
            app.lastCompletedCheckpoint(), maxStallMs);
        System.out.printf(
            "RESULT latency raw_p99_ms=%.2f sluice_p99_ms=%.2f added_p99_ms=%.2f"
                + " max_checkpoint_stall_ms=%.3f%n",
            raw[1], sl[1], sl[1] - raw[1], maxStallMs);
      } finally {
        for (Reader<byte[]> r : readers) {
          r.close();
        }
      }
    }
  }

  private static void record(long[] latencies, byte[] value, long now) {
    try {
      var node = JSON.readTree(value);
      int id = node.get("id").asInt();
      latencies[id] = now - node.get("sentNanos").asLong();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long missing(long[] latencies, int from) {
    return Arrays.stream(latencies, from, latencies.length).filter(v -> v == 0).count();
  }

  /** p50, p99, p99.9 in ms, skipping the warm-up. */
  private static double[] percentiles(long[] latencies, int from) {
    long[] sorted =
        Arrays.stream(latencies, from, latencies.length).filter(v -> v > 0).sorted().toArray();
    if (sorted.length == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
    return new double[] {
      sorted[(int) (sorted.length * 0.5)] / 1e6,
      sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.99)] / 1e6,
      sorted[(int) Math.min(sorted.length - 1, sorted.length * 0.999)] / 1e6
    };
  }
}
