package io.sluice.bench;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;

/**
 * Drains the same backlog (default 1,000,000 JSON messages of ~200 B on 8 partitions) with (a)
 * plain pulsar-client Readers, one thread per partition, and (b) a Sluice job that decodes the
 * JSON, maps it and discards it, checkpointing every second; alternating, {@code rounds} times.
 * Prints {@code RESULT throughput raw_msgs_per_s=… sluice_msgs_per_s=… ratio=…} (medians; the ratio
 * is the median of the per-round ratios).
 *
 * <p>Two more drains per round split the ratio into its parts: plain Readers that also bind the
 * JSON with Jackson ({@code ratio_vs_raw_decode}: the same work on both sides), and the same Sluice
 * job without a decoder ({@code ratio_no_decode}: what the pipeline itself costs).
 */
public final class ThroughputBench {
  private static final int WARM_UP_ROUNDS = 5;

  private ThroughputBench() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int partitions = 8;
    try (BenchEnv env = new BenchEnv("throughput")) {
      String topic = produceBacklog(env, "bench-throughput-", partitions, messages);
      // unmeasured rounds of each, so JIT compilation (whose threads take CPU from the first
      // runs on 2 cores) is done and the broker's cache is warm for all
      for (int w = 0; w < WARM_UP_ROUNDS; w++) {
        rawDrain(env, topic, partitions, messages, false);
        rawDrain(env, topic, partitions, messages, true);
        sluiceDrain(env, topic, messages, "warm" + w, true);
        sluiceDrain(env, topic, messages, "warm-plain" + w, false);
      }
      double[] raw = new double[rounds];
      double[] rawDecode = new double[rounds];
      double[] sluice = new double[rounds];
      double[] sluicePlain = new double[rounds];
      double[] ratios = new double[rounds];
      double[] decodeRatios = new double[rounds];
      double[] plainRatios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        raw[r] = rawDrain(env, topic, partitions, messages, false);
        rawDecode[r] = rawDrain(env, topic, partitions, messages, true);
        sluice[r] = sluiceDrain(env, topic, messages, "r" + (r + 1), true);
        sluicePlain[r] = sluiceDrain(env, topic, messages, "r-plain" + (r + 1), false);
        ratios[r] = sluice[r] / raw[r];
        decodeRatios[r] = sluice[r] / rawDecode[r];
        plainRatios[r] = sluicePlain[r] / raw[r];
        System.out.printf(
            "round %d: raw %,.0f msg/s  raw+decode %,.0f msg/s  sluice %,.0f msg/s"
                + "  sluice without decoder %,.0f msg/s  ratio %.3f  ratio_vs_raw_decode %.3f"
                + "  ratio_no_decode %.3f%n",
            r + 1,
            raw[r],
            rawDecode[r],
            sluice[r],
            sluicePlain[r],
            ratios[r],
            decodeRatios[r],
            plainRatios[r]);
      }
      System.out.printf(
          "RESULT throughput raw_msgs_per_s=%.0f sluice_msgs_per_s=%.0f ratio=%.3f"
              + " raw_decode_msgs_per_s=%.0f ratio_vs_raw_decode=%.3f"
              + " sluice_no_decode_msgs_per_s=%.0f ratio_no_decode=%.3f%n",
          BenchEnv.median(raw),
          BenchEnv.median(sluice),
          BenchEnv.median(ratios),
          BenchEnv.median(rawDecode),
          BenchEnv.median(decodeRatios),
          BenchEnv.median(sluicePlain),
          BenchEnv.median(plainRatios));
    }
  }

  /** A new topic of {@code partitions} partitions holding {@code messages} JSON events. */
  static String produceBacklog(BenchEnv env, String prefix, int partitions, int messages)
      throws Exception {
    String topic = "persistent://public/default/" + prefix + System.currentTimeMillis();
    env.admin.topics().createPartitionedTopic(topic, partitions);
    long t0 = System.nanoTime();
    try (Producer<byte[]> producer = env.producer(topic)) {
      for (int i = 0; i < messages; i++) {
        producer.sendAsync(BenchEnv.event(i, 0));
      }
      producer.flush();
    }
    System.out.printf(
        "produced %,d messages in %.1f s%n", messages, (System.nanoTime() - t0) / 1e9);
    return topic;
  }

  /**
   * One Reader per partition on its own thread, draining from the earliest message; with {@code
   * decode}, each reader thread also binds the JSON like the Sluice job does.
   */
  static double rawDrain(BenchEnv env, String topic, int partitions, int expected, boolean decode)
      throws Exception {
    var jsonReader = new com.fasterxml.jackson.databind.ObjectMapper().readerFor(Event.class);
    // counted like the Sluice side: striped (no shared counter for the reader threads to fight
    // over), and the end is seen by this thread polling the sum every millisecond
    LongAdder count = new LongAdder();
    AtomicBoolean done = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    List<Reader<byte[]>> readers = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      readers.add(
          env.client
              .newReader()
              .topic(topic + "-partition-" + p)
              .startMessageId(MessageId.earliest)
              .receiverQueueSize(1000)
              .create());
    }
    // timed from here: both sides are measured from "readers created" to "last message processed"
    long[] cpu = env.cpuNanos();
    var threadCpu = env.threadCpuNanos();
    long start = System.nanoTime();
    for (int p = 0; p < partitions; p++) {
      Reader<byte[]> reader = readers.get(p);
      Thread t =
          new Thread(
              () -> {
                try (reader) {
                  while (!done.get()) {
                    Message<byte[]> m = reader.readNext(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                      if (decode && ((Event) jsonReader.readValue(m.getValue())).user == null) {
                        throw new IllegalStateException("bad event");
                      }
                      count.increment();
                    }
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              "raw-reader-" + p);
      t.start();
      threads.add(t);
    }
    untilCounted(count, expected);
    double rate = expected / ((System.nanoTime() - start) / 1e9);
    long[] cpuAfter = env.cpuNanos();
    var threadCpuAfter = env.threadCpuNanos();
    done.set(true);
    for (Thread t : threads) {
      t.join();
    }
    System.out.printf(
        "  raw%s CPU: %s%n",
        decode ? "+decode" : "", BenchEnv.cpuPerMessage(cpu, cpuAfter, expected));
    System.out.println(BenchEnv.topThreads(threadCpu, threadCpuAfter, expected));
    return rate;
  }

  /**
   * Timed from the end of {@code start()} (readers created, durable cursors subscribed, state
   * opened) to the last message processed, like the raw drain; the start-up is printed apart. With
   * {@code decode}, the job binds each message with {@code RecordDecoder.json} and maps the event
   * to its user; without, it counts the raw records.
   */
  static double sluiceDrain(BenchEnv env, String topic, int expected, String run, boolean decode)
      throws Exception {
    LongAdder count = new LongAdder();
    long built = System.nanoTime();
    long start;
    try (Sluice app =
        Sluice.builder()
            .name("bench-throughput")
            .pulsar(env.serviceUrl, env.adminUrl)
            .stateDir(env.work.resolve("state-" + run))
            .checkpointInterval(Duration.ofSeconds(1))
            .discoveryInterval(Duration.ZERO)
            .waitStrategy(System.getProperty("bench.waitStrategy", "blocking"))
            .build()) {
      if (decode) {
        app.stream(
                PulsarSource.topics(topic).subscription("bench-throughput-" + run),
                RecordDecoder.json(Event.class))
            .map(e -> e.user)
            .forEach(u -> count.increment());
      } else {
        app.stream(PulsarSource.topics(topic).subscription("bench-throughput-" + run))
            .forEach(u -> count.increment());
      }
      app.start();
      long[] cpu = env.cpuNanos();
      var threadCpu = env.threadCpuNanos();
      start = System.nanoTime();
      untilCounted(count, expected);
      double rate = expected / ((System.nanoTime() - start) / 1e9);
      long[] cpuAfter = env.cpuNanos();
      var threadCpuAfter = env.threadCpuNanos();
      System.out.printf(
          "  sluice%s start-up %.0f ms (not in the rate); CPU: %s%n",
          decode ? "" : " without decoder",
          (start - built) / 1e6,
          BenchEnv.cpuPerMessage(cpu, cpuAfter, expected));
      System.out.println(BenchEnv.topThreads(threadCpu, threadCpuAfter, expected));
      return rate;
    }
  }

  /**
   * Returns once {@code count} reaches {@code expected}, polling every millisecond: both sides see
   * their end the same way.
   */
  private static void untilCounted(LongAdder count, long expected) throws InterruptedException {
    while (count.sum() < expected) {
      Thread.sleep(1);
    }
  }

  /** The benchmark's event, bound by Jackson. */
  public static final class Event {
    public long id;
    public long sentNanos;
    public String user;
    public String kind;
    public String page;
    public double amount;
    public java.util.List<String> tags;
    public String pad;
  }
}
