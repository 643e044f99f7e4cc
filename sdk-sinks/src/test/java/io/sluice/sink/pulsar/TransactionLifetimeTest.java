package io.sluice.sink.pulsar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransactionLifetimeTest {
  /** (5 s + 60 s) × (2 × 10 + 1): the default checkpoint settings. */
  private static final Duration DEFAULT_BOUND = Duration.ofSeconds(65 * 21);

  @Test
  void shouldDeriveATimeoutThatOutlivesTheCommitBound() {
    TransactionLifetime lifetime = TransactionLifetime.of("s", null, DEFAULT_BOUND);
    assertThat(lifetime.timeout()).isEqualTo(DEFAULT_BOUND.plusMinutes(5));
    assertThat(lifetime.staleAfter()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void shouldDeriveAtLeastTheDefaultTimeout() {
    Duration bound = Duration.ofMillis(13_200);
    TransactionLifetime lifetime = TransactionLifetime.of("s", null, bound);
    assertThat(lifetime.timeout()).isEqualTo(Duration.ofMinutes(10));
    // a transaction opened ahead is used only while the bound still fits in what it has left
    assertThat(lifetime.staleAfter().plus(bound)).isEqualTo(lifetime.timeout());
  }

  @Test
  void shouldKeepAConfiguredTimeoutThatOutlivesTheBound() {
    TransactionLifetime lifetime =
        TransactionLifetime.of("s", Duration.ofSeconds(20), Duration.ofMillis(13_200));
    assertThat(lifetime.timeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(lifetime.staleAfter()).isEqualTo(Duration.ofMillis(6_800));
  }

  @Test
  void shouldRefuseAConfiguredTimeoutTheBoundWouldOutlast() {
    assertThatThrownBy(
            () -> TransactionLifetime.of("orders", Duration.ofMinutes(10), DEFAULT_BOUND))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Sink orders")
        .hasMessageContaining("transactionTimeout 600000 ms")
        .hasMessageContaining("1365000 ms")
        .hasMessageContaining("at least 1366000 ms")
        .hasMessageContaining("leave it unset");
  }

  @Test
  void shouldUseHalfTheTimeoutWhenTheBoundIsUnknown() {
    TransactionLifetime derived = TransactionLifetime.of("s", null, Duration.ZERO);
    assertThat(derived.timeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(derived.staleAfter()).isEqualTo(Duration.ofMinutes(5));
    TransactionLifetime configured =
        TransactionLifetime.of("s", Duration.ofSeconds(3), Duration.ZERO);
    assertThat(configured.staleAfter()).isEqualTo(Duration.ofMillis(1_500));
  }
}
