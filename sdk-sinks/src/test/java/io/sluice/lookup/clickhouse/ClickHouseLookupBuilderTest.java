package io.sluice.lookup.clickhouse;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClickHouseLookupBuilderTest {
  @Test
  void shouldRejectInvalidValuesNamingTheSetting() {
    assertThatThrownBy(() -> ClickHouseLookup.builder().url("ftp://x"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("must look like http://host:8123");
    assertThatThrownBy(() -> ClickHouseLookup.builder().query(" ; "))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value '' for query: must be a SELECT");
    assertThatThrownBy(() -> ClickHouseLookup.builder().query("SELECT 1 FORMAT TSV"))
        .hasMessageContaining("leave out the FORMAT clause");
    assertThatThrownBy(() -> ClickHouseLookup.builder().refresh(Duration.ofMillis(-1)))
        .hasMessage("Invalid value -1 ms for refresh: must be at least 0 ms");
    assertThatThrownBy(() -> ClickHouseLookup.builder().name("a b"))
        .hasMessageContaining("for name");
  }

  @Test
  void shouldRejectNullsWithTheParameterName() {
    assertThatThrownBy(() -> ClickHouseLookup.builder().query(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("query must not be null");
    assertThatThrownBy(() -> ClickHouseLookup.builder().keyColumn(null))
        .hasMessage("column must not be null");
  }

  @Test
  void shouldSayWhatIsMissingAtBuild() {
    assertThatThrownBy(() -> ClickHouseLookup.builder().build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("call url(");
    assertThatThrownBy(() -> ClickHouseLookup.builder().url("http://127.0.0.1:1").build())
        .hasMessageContaining("call query(");
    assertThatThrownBy(
            () -> ClickHouseLookup.builder().url("http://127.0.0.1:1").query("SELECT 1").build())
        .hasMessageContaining("call keyColumn(");
  }
}
