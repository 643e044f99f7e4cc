package io.sluice.sink.builder;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.ConfigException;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings every Sluice sink builder shares: the sink's name and how its calls to a server that
 * is down are retried. Each sink's {@code Builder} extends it.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class RetryingSinkBuilder<B extends RetryingSinkBuilder<B>> {
  private String name;
  private Duration retryTimeout = Duration.ofSeconds(60);
  private Duration retryBackoff = Duration.ofMillis(200);

  protected RetryingSinkBuilder() {}

  /** This builder, typed as the concrete builder. */
  protected abstract B self();

  /**
   * The sink's name in checkpoints, metrics and errors (each sink has a default, e.g. {@code
   * clickhouse:<table>}, {@code redis}, {@code hdfs}); keep it stable across restarts, as
   * checkpoints refer to it.
   */
  public B name(String name) {
    Objects.requireNonNull(name, "name must not be null");
    if (name.isBlank()) {
      throw new ConfigException("Invalid value '' for name: must not be blank");
    }
    this.name = name;
    return self();
  }

  /**
   * How long a call that failed for a passing reason (server down or unreachable, timeout) is
   * retried before the error surfaces (default 60 s; zero: never). While a writer retries, its slot
   * group's processing thread waits, so the readers stop (backpressure) and nothing is lost: an
   * outage shorter than this is ridden out.
   */
  public B retryTimeout(Duration timeout) {
    this.retryTimeout = atLeast(timeout, Duration.ZERO, "retryTimeout");
    return self();
  }

  /** First backoff between retries, doubled each time up to 5 s (default 200 ms). */
  public B retryBackoff(Duration backoff) {
    this.retryBackoff = atLeast(backoff, Duration.ofMillis(1), "retryBackoff");
    return self();
  }

  /** The name set, or {@code fallback}. */
  protected String nameOr(String fallback) {
    return name != null ? name : fallback;
  }

  protected Duration retryTimeout() {
    return retryTimeout;
  }

  protected Duration retryBackoff() {
    return retryBackoff;
  }
}
