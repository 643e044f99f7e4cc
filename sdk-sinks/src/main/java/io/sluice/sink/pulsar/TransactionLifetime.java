package io.sluice.sink.pulsar;

import io.sluice.errors.ConfigException;
import java.time.Duration;

/**
 * How long the sink's transactions live, and how long one opened ahead may wait unused before it is
 * replaced. A checkpoint's transaction must outlive the longest its commit may be delayed while the
 * app keeps running ({@link io.sluice.sink.SinkContext#commitBound}): otherwise the broker aborts
 * it during a sink outage that the app rides out, and its output is lost. So a transaction is used
 * only while it has that long left: one opened ahead that waited longer is replaced unused.
 *
 * @param timeout the transactions' timeout at the broker
 * @param staleAfter how long one opened ahead may wait for its first message
 */
record TransactionLifetime(Duration timeout, Duration staleAfter) {
  /** The timeout when the commit bound is unknown and none is configured. */
  static final Duration DEFAULT = Duration.ofMinutes(10);

  /** How long one opened ahead may wait when the timeout is derived from the commit bound. */
  static final Duration DERIVED_WAIT = Duration.ofMinutes(5);

  /** The least wait a configured timeout must leave. */
  static final Duration MIN_WAIT = Duration.ofSeconds(1);

  /**
   * The lifetime of sink {@code sink}'s transactions: {@code configured} (null: derived) against
   * the app's commit bound {@code bound} (zero: unknown).
   *
   * @throws ConfigException if {@code configured} does not outlive {@code bound}
   */
  static TransactionLifetime of(String sink, Duration configured, Duration bound) {
    if (bound.isZero()) {
      Duration timeout = configured != null ? configured : DEFAULT;
      return new TransactionLifetime(timeout, timeout.dividedBy(2));
    }
    if (configured == null) {
      Duration derived = bound.plus(DERIVED_WAIT);
      Duration timeout = derived.compareTo(DEFAULT) < 0 ? DEFAULT : derived;
      return new TransactionLifetime(timeout, timeout.minus(bound));
    }
    Duration wait = configured.minus(bound);
    if (wait.compareTo(MIN_WAIT) < 0) {
      throw new ConfigException(
          "Sink "
              + sink
              + ": transactionTimeout "
              + configured.toMillis()
              + " ms does not outlive the longest a checkpoint's output may wait for its commit"
              + " while the app keeps running ("
              + bound.toMillis()
              + " ms: (checkpoint.interval + checkpoint.timeout) × (2 ×"
              + " checkpoint.maxConsecutiveFailures + 1)); the broker would abort a transaction"
              + " during a sink outage the app rides out, and its output would be lost. Set"
              + " transactionTimeout to at least "
              + bound.plus(MIN_WAIT).toMillis()
              + " ms, or leave it unset to have it derived.");
    }
    return new TransactionLifetime(configured, wait);
  }
}
