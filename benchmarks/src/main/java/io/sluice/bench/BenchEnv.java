package io.sluice.bench;

import io.sluice.testkit.Dirs;
import io.sluice.testkit.PulsarStandalone;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;

/** The broker (embedded unless SLUICE_PULSAR_URL is set), clients and shared helpers. */
final class BenchEnv implements AutoCloseable {
  final String serviceUrl;
  final String adminUrl;
  final PulsarAdmin admin;
  final PulsarClient client;
  final Path work;
  private final PulsarStandalone embedded;

  @SuppressWarnings("deprecation") // statsInterval: deprecated for OpenTelemetry, still honoured
  BenchEnv(String name) throws Exception {
    work = Path.of("work-data", "bench-" + name + "-" + System.currentTimeMillis());
    String url = System.getenv("SLUICE_PULSAR_URL");
    if (url == null || url.isBlank()) {
      embedded = PulsarStandalone.start(work.resolve("pulsar"));
      serviceUrl = embedded.serviceUrl();
      adminUrl = embedded.adminUrl();
    } else {
      embedded = null;
      serviceUrl = url;
      adminUrl = System.getenv("SLUICE_PULSAR_ADMIN_URL");
    }
    admin = PulsarAdmin.builder().serviceHttpUrl(adminUrl).build();
    // without the client's per-message statistics, as Sluice's own client runs
    client =
        PulsarClient.builder().serviceUrl(serviceUrl).statsInterval(0, TimeUnit.SECONDS).build();
  }

  /** The embedded broker's log file, or {@code null} for an external cluster. */
  Path brokerLog() {
    return embedded == null ? null : embedded.logFile();
  }

  Producer<byte[]> producer(String topic) throws Exception {
    return client
        .newProducer(Schema.BYTES)
        .topic(topic)
        .blockIfQueueFull(true)
        .maxPendingMessages(10_000)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
        .create();
  }

  /**
   * CPU time used so far, in nanoseconds: {@code [this JVM, the embedded broker]} (the broker's is
   * -1 when it is not embedded). Read before and after a phase to see where a drain's CPU goes on a
   * machine the broker shares.
   */
  long[] cpuNanos() {
    return new long[] {ownCpuNanos(), embedded == null ? -1 : cpuNanosOf(embedded.pid())};
  }

  /** CPU time this JVM has used, in nanoseconds. */
  static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CPU time (user + system) a process has used, in nanoseconds, from /proc/PID/stat; -1 if it
   * cannot be read.
   */
  static long cpuNanosOf(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      return ticksToNanos(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * User + system time in a /proc stat line (fields 14 and 15 of proc(5)), in nanoseconds, assuming
   * the kernel's usual 100 clock ticks per second.
   */
  private static long ticksToNanos(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000_000L;
  }

  /**
   * CPU time so far per kind of thread, {@code [this JVM's, the embedded broker's]}: a thread's
   * kind is its name with the digits taken out. This JVM's threads are read through {@link
   * ThreadMXBean} (full names), the broker's from /proc/PID/task (names cut at 15 characters by the
   * kernel); the broker's map is empty when it is not embedded.
   */
  List<Map<String, Long>> threadCpuNanos() {
    Map<String, Long> own = new TreeMap<>();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      long nanos = info == null ? -1 : threads.getThreadCpuTime(info.getThreadId());
      if (nanos > 0) {
        own.merge(kindOf(info.getThreadName()), nanos, Long::sum);
      }
    }
    Map<String, Long> broker = new TreeMap<>();
    if (embedded != null) {
      try (var tasks = Files.list(Path.of("/proc", Long.toString(embedded.pid()), "task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            broker.merge(kindOf(name), ticksToNanos(stat), Long::sum);
          } catch (IOException | RuntimeException e) {
            // the thread ended
          }
        }
      } catch (IOException e) {
        // the broker ended; its line stays empty
      }
    }
    return List.of(own, broker);
  }

  private static String kindOf(String threadName) {
    return threadName.replaceAll("[0-9]+", "#");
  }

  /**
   * Two lines naming the kinds of thread (see {@link #threadCpuNanos()}) whose CPU grew most
   * between two readings, in microseconds per message; threads that ended in between are not
   * counted.
   */
  static String topThreads(List<Map<String, Long>> before, List<Map<String, Long>> after, long n) {
    return "    client threads:"
        + topThreads(before.get(0), after.get(0), n)
        + "\n    broker threads:"
        + topThreads(before.get(1), after.get(1), n);
  }

  private static String topThreads(Map<String, Long> before, Map<String, Long> after, long n) {
    StringBuilder line = new StringBuilder();
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() >= n / 100) // at least 0.01 µs per message
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(8)
        .forEach(e -> line.append(String.format(" %s=%.2f", e.getKey(), e.getValue() / 1e3 / n)));
    return line.toString();
  }

  /** CPU per message between two {@link #cpuNanos()} readings, for a printed line. */
  static String cpuPerMessage(long[] before, long[] after, long messages) {
    String line = String.format("client %.2f us/msg", (after[0] - before[0]) / 1e3 / messages);
    if (before[1] >= 0 && after[1] >= 0) {
      line += String.format(", broker %.2f us/msg", (after[1] - before[1]) / 1e3 / messages);
    }
    return line;
  }

  /** A JSON event of about 200 bytes. */
  static byte[] event(long id, long nanos) {
    String json =
        "{\"id\":"
            + id
            + ",\"sentNanos\":"
            + nanos
            + ",\"user\":\"user-"
            + (id % 10_000)
            + "\",\"kind\":\"click\",\"page\":\"/catalog/items/"
            + (id % 977)
            + "\",\"amount\":"
            + (id % 1000) / 10.0
            + ",\"tags\":[\"a\",\"b\",\"c\"],\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    return json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  @Override
  public void close() throws Exception {
    client.close();
    admin.close();
    if (embedded != null) {
      embedded.close();
    }
    // A run's broker data and checkpoints (gigabytes for the throughput run) are of no use once
    // its figures are printed; SLUICE_BENCH_KEEP=1 keeps them for a look at the broker's log.
    if (System.getenv("SLUICE_BENCH_KEEP") == null) {
      Dirs.delete(work);
    }
  }
}
