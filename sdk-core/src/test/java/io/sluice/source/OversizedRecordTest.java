package io.sluice.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.testing.CollectingSink;
import io.sluice.testing.TestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Payloads above a source's maxRecordBytes are bad records, before any decoder or operator. */
class OversizedRecordTest {
  @TempDir Path dir;

  @Test
  void shouldSkipAndCountOversizedPayloads() throws Exception {
    CollectingSink<String> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      driver.stream(
              PulsarSource.topics("big").maxRecordBytes(100).onBadRecord(BadRecordPolicy.SKIP),
              r -> new String(r.value(), StandardCharsets.UTF_8))
          .sinkTo(out);
      driver.start();
      driver.send("big", 0, "k", "x".repeat(100), 1);
      driver.send("big", 0, "k", "y".repeat(101), 2);
      driver.send("big", 0, "k", "z", 3);
      driver.checkpoint();
      assertThat(out.committed()).containsExactly("x".repeat(100), "z");
      assertThat(driver.meterRegistry().get("sluice.source.bad.records").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void shouldFailNamingTheSizeAndTheLimitByDefault() throws Exception {
    CollectingSink<byte[]> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      driver.stream(PulsarSource.topics("big").maxRecordBytes(10))
          .map(SourceRecord::value)
          .sinkTo(out);
      driver.start();
      assertThatThrownBy(() -> driver.send("big", 2, "k", "0123456789ABC", 1))
          .hasMessageContaining("persistent://public/default/big-partition-2")
          .hasMessageContaining(
              "oversized payload: 13 bytes, above the source's maxRecordBytes of 10");
    }
  }

  /** Without a setting the limit is Pulsar's own default message size, 5 MiB. */
  @Test
  void shouldLimitRecordsToPulsarsDefaultMessageSizeByDefault() throws Exception {
    assertThat(PulsarSource.topics("t").maxRecordBytes()).isEqualTo(5 * 1024 * 1024);
    CollectingSink<Integer> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      driver.stream(
              PulsarSource.topics("big").onBadRecord(BadRecordPolicy.SKIP), r -> r.value().length)
          .sinkTo(out);
      driver.start();
      driver.send("big", 0, "k", "x".repeat(5 * 1024 * 1024), 1);
      driver.send("big", 0, "k", "y".repeat(5 * 1024 * 1024 + 1), 2);
      driver.checkpoint();
      assertThat(out.committed()).containsExactly(5 * 1024 * 1024);
      assertThat(driver.meterRegistry().get("sluice.source.bad.records").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void shouldRefuseANonPositiveLimit() {
    assertThatThrownBy(() -> PulsarSource.topics("t").maxRecordBytes(0))
        .hasMessage("Invalid maxRecordBytes 0: must be at least 1 byte");
  }
}
