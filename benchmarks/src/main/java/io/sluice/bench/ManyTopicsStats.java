package io.sluice.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a many-topics child prints after its drain: {@code STATS threads=… peak_threads=… heap_mb=…
 * rss_mb=… cpu_ms=…} (heap in use after a full GC, so what the app keeps, not what it has not
 * collected yet), then {@code KINDS} with the live threads per kind (name without digits).
 */
final class ManyTopicsStats {
  private ManyTopicsStats() {}

  static void print() throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    System.gc();
    Thread.sleep(200);
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    System.out.printf(
        "STATS threads=%d peak_threads=%d heap_mb=%d rss_mb=%d cpu_ms=%d%n",
        threads.getThreadCount(),
        threads.getPeakThreadCount(),
        heap >> 20,
        rssKb() >> 10,
        BenchEnv.ownCpuNanos() / 1_000_000);
    Map<String, Integer> kinds = new TreeMap<>();
    Map<String, Long> cpuMs = new TreeMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null) {
        String kind = info.getThreadName().replaceAll("[0-9]+", "#");
        kinds.merge(kind, 1, Integer::sum);
        long cpu = threads.getThreadCpuTime(info.getThreadId());
        if (cpu >= 10_000_000) {
          cpuMs.merge(kind, cpu / 1_000_000, Long::sum);
        }
      }
    }
    System.out.println("KINDS " + kinds);
    System.out.println("CPU_MS_BY_KIND " + cpuMs);
  }

  private static long rssKb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }
}
