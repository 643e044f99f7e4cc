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
 * Runs the abtest sample as {@code scripts/sample.sh abtest} does, at a small size, against the
 * shared real broker and a ClickHouse server it starts from the installed binary, and requires its
 * own check to end {@code -> OK}: every wide row read back from ClickHouse equals the row computed
 * from the generated input (exposures, clicks, orders, revenue, distinct users), none missing or
 * twice, each enriched from the offline table version it names, some from the version published
 * while the app ran.
 */
class AbtestSampleIT {
  @TempDir Path work;

  @Test
  @Timeout(240)
  void shouldEndOkOnASmallRun() {
    runAndCheck("csv");
  }

  /** The same with the experiment table in Parquet, republished while the app runs. */
  @Test
  @Timeout(240)
  void shouldEndOkWithTheExperimentTableInParquet() {
    runAndCheck("parquet");
  }

  private void runAndCheck(String tableFormat) {
    PulsarStandalone pulsar = PulsarStandalone.shared();
    try (ChildJvm abtest =
        ChildJvm.builder(SampleMain.class)
            .name("abtest-" + tableFormat)
            .args(
                "abtest",
                "--run",
                Long.toString(System.nanoTime() % 1_000_000_000L),
                "--table-format",
                tableFormat,
                "--exposures",
                "6000",
                "--users",
                "800",
                "--hours",
                "3",
                "--rate",
                "2000",
                "--checkpoint",
                "1s",
                "--timeout",
                "150s",
                "--work",
                work.resolve(tableFormat).toString(),
                "--pulsar",
                pulsar.serviceUrl(),
                "--pulsar-admin",
                pulsar.adminUrl())
            .jvmArgs("-Xmx768m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .start()) {
      assertThat(abtest.awaitLine(l -> l.startsWith("hourly wide table"), Duration.ofSeconds(220)))
          .isNotNull();
      String summary = abtest.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(60));
      assertThat(summary)
          .startsWith("SUMMARY abtest ")
          .contains(" duplicates=0 missing=0 wrong=0 enrichment_errors=0 ")
          .doesNotContain("rows_from_refreshed_table=0 ")
          .endsWith("-> OK");
      assertThat(abtest.waitFor(Duration.ofSeconds(30))).isZero();
    }
  }
}
