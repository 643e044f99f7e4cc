package io.sluice.internal.checkpoint;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PulsarSecurity;
import io.sluice.errors.SinkException;
import io.sluice.metrics.Metric;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.source.BadRecordPolicy;
import io.sluice.state.internal.StateStore;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

public final class SinkContextImpl implements SinkContext {
  private final boolean replicated;

  /** Unique across restarts: pending handles of earlier runs keep their own sequences. */
  private static final AtomicLong SEQUENCE =
      new AtomicLong(System.currentTimeMillis() * 1_000_000L);

  private final String app;
  private final String sink;
  private final int writerIndex;
  private final String serviceUrl;
  private final String adminUrl;
  private final PulsarSecurity security;
  private final MeterRegistry meters;
  private final StateStore store;
  private final BadRecordPolicy badRecordPolicy;
  private final Duration commitBound;

  public SinkContextImpl(
      String app,
      String sink,
      int writerIndex,
      String serviceUrl,
      String adminUrl,
      PulsarSecurity security,
      MeterRegistry meters,
      StateStore store,
      BadRecordPolicy badRecordPolicy,
      boolean replicated,
      Duration commitBound) {
    this.badRecordPolicy = badRecordPolicy;
    this.commitBound = commitBound;
    this.replicated = replicated;
    this.app = app;
    this.sink = sink;
    this.writerIndex = writerIndex;
    this.serviceUrl = serviceUrl;
    this.adminUrl = adminUrl;
    this.security = security;
    this.meters = meters;
    this.store = store;
  }

  @Override
  public Duration commitBound() {
    return commitBound;
  }

  @Override
  public String appName() {
    return app;
  }

  @Override
  public String sinkName() {
    return sink;
  }

  @Override
  public int writerIndex() {
    return writerIndex;
  }

  @Override
  public String pulsarServiceUrl() {
    return serviceUrl;
  }

  @Override
  public String pulsarAdminUrl() {
    return adminUrl;
  }

  @Override
  public PulsarSecurity pulsarSecurity() {
    return security;
  }

  @Override
  public MeterRegistry meterRegistry() {
    return meters;
  }

  @Override
  public void badRecord(Object record, Throwable cause) {
    String what = "Sink " + sink + " cannot write the record " + abbreviate(record) + ": " + cause;
    if (badRecordPolicy == BadRecordPolicy.FAIL) {
      throw new SinkException(
          what
              + ". Fix the record or the sink's mapping, or set"
              + " Sluice.builder().onBadSinkRecord(BadRecordPolicy.SKIP) to count and skip such"
              + " records.",
          cause);
    }
    Metric.SINK_BAD_RECORDS.counter(meters, app, "sink", sink).increment();
    LoggerFactory.getLogger(SinkContextImpl.class)
        .warn("[{}] skipped (onBadSinkRecord=SKIP): {}", app, what);
  }

  private static String abbreviate(Object record) {
    String s = String.valueOf(record);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  @Override
  public void registerPending(Committable handle) {
    store.putPending(sink, SEQUENCE.incrementAndGet(), handle.bytes());
  }

  @Override
  public boolean replicated() {
    return replicated;
  }
}
