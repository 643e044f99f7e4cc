package io.sluice.sink.pulsar;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PulsarSinkBuilderTest {
  @Test
  void shouldRefuseBadPulsarSinkSettings() {
    assertThatThrownBy(() -> PulsarSink.builder().maxPendingMessages(0))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Invalid value 0 for maxPendingMessages: must be at least 1");
    assertThatThrownBy(() -> PulsarSink.builder().transactionTimeout(Duration.ZERO))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("transactionTimeout: must be at least 1000 ms");
  }
}
