package io.sluice.sink.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClickHouseSinkBuilderTest {
  @Test
  void shouldRejectInvalidValuesNamingTheSetting() {
    assertThatThrownBy(() -> ClickHouseSink.builder().batchRows(0))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 0 for batchRows: must be at least 1");
    assertThatThrownBy(() -> ClickHouseSink.builder().batchBytes(10))
        .hasMessage("Invalid value 10 for batchBytes: must be at least 1024");
    assertThatThrownBy(() -> ClickHouseSink.builder().retryTimeout(Duration.ofMillis(-1)))
        .hasMessage("Invalid value -1 ms for retryTimeout: must be at least 0 ms");
    assertThatThrownBy(() -> ClickHouseSink.builder().commitTimeout(Duration.ZERO))
        .hasMessage("Invalid value 0 ms for commitTimeout: must be at least 1000 ms");
    assertThatThrownBy(() -> ClickHouseSink.builder().url("ftp://x"))
        .hasMessageContaining("must look like http://host:8123");
  }

  @Test
  void shouldRejectNullsWithTheParameterName() {
    assertThatThrownBy(() -> ClickHouseSink.builder().table(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("table must not be null");
    assertThatThrownBy(() -> ClickHouseSink.builder().rows(null))
        .hasMessage("rows must not be null");
  }

  @Test
  void shouldRefuseAPasswordInTheUrlWithoutShowingIt() {
    assertThatThrownBy(() -> ClickHouseSink.builder().url("https://app:s3cret-pw@ch:8443"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Invalid value https://app:****@ch:8443 for url")
        .hasMessageContaining("credentials(user, password)")
        .message()
        .doesNotContain("s3cret-pw");
  }

  @Test
  void shouldRequireUrlTableAndRows() {
    assertThatThrownBy(() -> ClickHouseSink.builder().table("t").rows(r -> Map.of()).build())
        .hasMessageContaining("call url(");
    assertThatThrownBy(
            () -> ClickHouseSink.builder().url("http://127.0.0.1:8123").rows(r -> Map.of()).build())
        .hasMessageContaining("call table(");
    assertThatThrownBy(
            () -> ClickHouseSink.builder().url("http://127.0.0.1:8123").table("t").build())
        .hasMessageContaining("call rows(");
  }

  @Test
  void shouldNameTheSinkAfterItsTable() {
    ClickHouseSink<String> sink =
        ClickHouseSink.<String>builder()
            .url("http://127.0.0.1:8123")
            .table("events")
            .rows(r -> Map.of("id", r))
            .build();
    assertThat(sink.name()).isEqualTo("clickhouse:events");
  }
}
