package io.sluice.sink.builder;

import static io.sluice.sink.internal.Checks.atLeast;

import java.time.Duration;

/**
 * The settings of a sink that retries its own calls to a server that is down: its name ({@link
 * SinkBuilder}) and how those calls are retried. Each such sink's {@code Builder} extends it.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class RetryingSinkBuilder<B extends RetryingSinkBuilder<B>> extends SinkBuilder<B> {
  private Duration retryTimeout = Duration.ofSeconds(60);
  private Duration retryBackoff = Duration.ofMillis(200);

  protected RetryingSinkBuilder() {}

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

  protected Duration retryTimeout() {
    return retryTimeout;
  }

  protected Duration retryBackoff() {
    return retryBackoff;
  }
}
