package io.sluice.sink.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.sink.SinkContext;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The meters every sink keeps, tagged {@code app} and {@code sink}: {@code sluice.sink.records} and
 * {@code sluice.sink.bytes} written, {@code sluice.sink.commit.latency}, {@code
 * sluice.sink.retries} (retried calls) and {@code sluice.sink.errors} (calls given up on and
 * surfaced to the runtime). Writers and the committer of a sink share them: Micrometer returns the
 * registered meter for the same name and tags.
 */
public final class SinkMetrics {
  private final Counter records;
  private final Counter bytes;
  private final Timer commitLatency;
  private final Counter retries;
  private final Counter errors;

  private SinkMetrics(MeterRegistry registry, String app, String sink) {
    this.records =
        Counter.builder("sluice.sink.records")
            .description("records written by the sink's writers")
            .tag("app", app)
            .tag("sink", sink)
            .register(registry);
    this.bytes =
        Counter.builder("sluice.sink.bytes")
            .description("bytes sent to the destination")
            .baseUnit("bytes")
            .tag("app", app)
            .tag("sink", sink)
            .register(registry);
    this.commitLatency =
        Timer.builder("sluice.sink.commit.latency")
            .description("time to commit one committable")
            .tag("app", app)
            .tag("sink", sink)
            .register(registry);
    this.retries =
        Counter.builder("sluice.sink.retries")
            .description("calls to the destination that failed and were retried")
            .tag("app", app)
            .tag("sink", sink)
            .register(registry);
    this.errors =
        Counter.builder("sluice.sink.errors")
            .description("calls to the destination that failed for good (after their retries)")
            .tag("app", app)
            .tag("sink", sink)
            .register(registry);
  }

  public static SinkMetrics of(SinkContext context, String sink) {
    return new SinkMetrics(context.meterRegistry(), context.appName(), sink);
  }

  public void record() {
    records.increment();
  }

  public void bytes(long n) {
    bytes.increment(n);
  }

  public void retry() {
    retries.increment();
  }

  public void error() {
    errors.increment();
  }

  /** Times a commit (failed ones too; their errors are counted where the sink gives up). */
  public <R> R timeCommit(Supplier<R> commit) {
    long started = System.nanoTime();
    try {
      return commit.get();
    } finally {
      commitLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  public void timeCommit(Runnable commit) {
    timeCommit(
        () -> {
          commit.run();
          return null;
        });
  }
}
