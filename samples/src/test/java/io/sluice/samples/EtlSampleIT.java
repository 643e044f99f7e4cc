package io.sluice.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.MiniHdfs;
import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the etl sample as {@code scripts/sample.sh etl} does (a child JVM, {@link SampleMain}) at a
 * small size against the shared real broker and the local file system, and requires its own final
 * check to end {@code -> OK}: every good record once in its topic's hour partition, every bad one
 * once in the dead-letter topic, a success marker in exactly the complete hours and none listing
 * fewer files than its partition holds. Once straight through, once SIGKILLed mid-run and started
 * again on the same state and output (exactly once across the kill).
 */
class EtlSampleIT {
  private static final Pattern PROCESSED = Pattern.compile("processed\\s+([\\d,]+)");
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint #(\\d+)");
  private static final Pattern RESUMED = Pattern.compile("holds ([\\d,]+) records");

  @TempDir Path work;

  private List<String> args(String run, int records, int rate) {
    PulsarStandalone pulsar = PulsarStandalone.shared();
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "etl",
            "--run",
            run,
            "--topics",
            "30",
            "--records",
            Integer.toString(records),
            "--rate",
            Integer.toString(rate),
            "--hours",
            "3",
            "--checkpoint",
            "1s",
            "--timeout",
            "150s",
            "--work",
            work.toString(),
            "--pulsar",
            pulsar.serviceUrl(),
            "--pulsar-admin",
            pulsar.adminUrl()));
    return args;
  }

  private static ChildJvm start(List<String> args, String name) {
    return ChildJvm.builder(SampleMain.class)
        .name(name)
        .args(args)
        .jvmArgs("-Xmx768m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
        .start();
  }

  @Test
  @Timeout(240)
  void shouldEndOkOnASmallRun() {
    String run = Long.toString(System.nanoTime() % 1_000_000_000L);
    try (ChildJvm etl = start(args(run, 4000, 2000), "etl-straight")) {
      String summary = etl.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(220));
      assertThat(summary)
          .startsWith("SUMMARY etl topics=30 namespaces=3 ")
          .contains(" duplicates=0 missing=0 misplaced=0 ")
          .contains(" premature=0 ")
          .endsWith("-> OK");
      assertThat(markers(summary)).isPositive();
      assertThat(etl.waitFor(Duration.ofSeconds(30))).isZero();
    }
  }

  /**
   * {@code --hdfs hdfs://…}: the same small run writing to a MiniDFSCluster (a real name node and
   * data node in this JVM) instead of the local file system; the sample reads its output back from
   * there.
   */
  @Test
  @Timeout(240)
  void shouldEndOkWritingToAnHdfsCluster() throws Exception {
    String run = Long.toString(System.nanoTime() % 1_000_000_000L);
    try (MiniHdfs hdfs = MiniHdfs.start(work.resolve("dfs"))) {
      List<String> args = args(run, 4000, 2000);
      args.addAll(List.of("--hdfs", hdfs.uri() + "/warehouse"));
      try (ChildJvm etl = start(args, "etl-hdfs")) {
        String summary = etl.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(220));
        assertThat(summary)
            .startsWith("SUMMARY etl topics=30 namespaces=3 ")
            .contains(" duplicates=0 missing=0 misplaced=0 ")
            .contains(" premature=0 ")
            .endsWith("-> OK");
        assertThat(markers(summary)).isPositive();
        assertThat(etl.waitFor(Duration.ofSeconds(30))).isZero();
      }
      long parts = 0;
      RemoteIterator<LocatedFileStatus> files =
          hdfs.fileSystem().listFiles(new org.apache.hadoop.fs.Path("/warehouse"), true);
      while (files.hasNext()) {
        if (files.next().getPath().getName().startsWith("part-")) {
          parts++;
        }
      }
      assertThat(parts).as("part files in the cluster").isPositive();
    }
  }

  @Test
  @Timeout(420)
  void shouldEndOkAfterASigkillMidRunAndARestart() {
    String run = Long.toString(System.nanoTime() % 1_000_000_000L);
    // slow enough that the kill comes while the generator is still sending
    List<String> args = args(run, 15_000, 250);
    try (ChildJvm first = start(args, "etl-killed")) {
      first.awaitLine(
          l -> number(PROCESSED, l) >= 1000 && number(CHECKPOINT, l) >= 1, Duration.ofSeconds(180));
      first.kill();
    }
    try (ChildJvm second = start(args, "etl-restarted")) {
      String resumed =
          second.awaitLine(l -> l.contains("generator resumes"), Duration.ofSeconds(120));
      assertThat(number(RESUMED, resumed)).isBetween(1000L, 14_000L);
      String summary = second.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(220));
      assertThat(summary)
          .contains(" duplicates=0 missing=0 misplaced=0 ")
          .contains(" premature=0 ")
          .contains(" recovery=CHECKPOINT ")
          .endsWith("-> OK");
      assertThat(second.waitFor(Duration.ofSeconds(30))).isZero();
    }
  }

  private static long markers(String summary) {
    Matcher m = Pattern.compile("markers=(\\d+)/").matcher(summary);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static long number(Pattern p, String line) {
    Matcher m = p.matcher(line);
    return m.find() ? Long.parseLong(m.group(1).replace(",", "")) : -1;
  }
}
