package io.sluice.sink.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.metrics.Metric;
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
    this.records = Metric.SINK_RECORDS.counter(registry, app, "sink", sink);
    this.bytes = Metric.SINK_BYTES.counter(registry, app, "sink", sink);
    this.commitLatency =
        Metric.SINK_COMMIT_LATENCY.timer().tag("app", app).tag("sink", sink).register(registry);
    this.retries = Metric.SINK_RETRIES.counter(registry, app, "sink", sink);
    this.errors = Metric.SINK_ERRORS.counter(registry, app, "sink", sink);
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
