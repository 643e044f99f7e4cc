package io.sluice.sink.clickhouse.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeduplicationTokenTest {
  @Test
  void shouldUseTheTokenOnlyFromClickHouse22Point2() {
    assertThat(ClickHouseHttp.supportsDeduplicationToken("18.16.1")).isFalse();
    assertThat(ClickHouseHttp.supportsDeduplicationToken("22.1.3.7")).isFalse();
    assertThat(ClickHouseHttp.supportsDeduplicationToken("22.2.1")).isTrue();
    assertThat(ClickHouseHttp.supportsDeduplicationToken("24.8.4.13")).isTrue();
    assertThat(ClickHouseHttp.supportsDeduplicationToken("garbage")).isFalse();
  }
}
