package io.sluice.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the serving sample as {@code scripts/sample.sh serving} does, at a small size, against the
 * shared real broker and a Redis server it starts from the installed binary, and requires its own
 * check (through its HTTP API) to end {@code -> OK}: exact play counts per song and in total, the
 * right top 10, distinct listeners within the HyperLogLog's error, and {@code /health} 200 while
 * running.
 */
class ServingSampleIT {
  @TempDir Path work;

  @Test
  @Timeout(180)
  void shouldEndOkOnASmallRun() {
    PulsarStandalone pulsar = PulsarStandalone.shared();
    try (ChildJvm serving =
        ChildJvm.builder(SampleMain.class)
            .name("serving")
            .args(
                "serving",
                "--run",
                Long.toString(System.nanoTime() % 1_000_000_000L),
                "--plays",
                "20000",
                "--users",
                "2000",
                "--songs",
                "100",
                "--rate",
                "4000",
                "--checkpoint",
                "1s",
                "--timeout",
                "120s",
                "--work",
                work.toString(),
                "--pulsar",
                pulsar.serviceUrl(),
                "--pulsar-admin",
                pulsar.adminUrl())
            .jvmArgs("-Xmx768m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .start()) {
      String summary = serving.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(160));
      assertThat(summary)
          .startsWith("SUMMARY serving plays=20000 total=20000 ")
          .contains(" wrong_counts=0 top10_wrong=0 ")
          .contains(" health=200 ")
          .endsWith("-> OK");
      assertThat(serving.waitFor(Duration.ofSeconds(30))).isZero();
    }
  }
}
