package io.sluice.testkit.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the runtime gives a sink, for driving a sink's writers and committer directly (tests,
 * benchmarks): registered pending handles are kept in memory, as the state store would keep them;
 * bad records are handled like the runtime does, FAIL (default) throws a {@link SinkException},
 * SKIP counts {@code sluice.sink.bad.records} and keeps the record for the test to inspect; meters
 * go to a {@link SimpleMeterRegistry} of its own.
 *
 * <pre>{@code
 * TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
 * try (SinkWriter<Order> writer = sink.createWriter(ctx)) { ... }
 * assertThat(ctx.counter("sluice.sink.records")).isEqualTo(1000.0);
 * }</pre>
 *
 * The app is named {@code kit} and the Pulsar URLs point nowhere unless set with {@link
 * #withApp}/{@link #withPulsar} (a sink writing to Pulsar on the app's cluster needs them).
 */
public final class TestSinkContext implements SinkContext {
  /** What {@link #badRecord} does, as the app's sink bad-record policy. */
  public enum Policy {
    FAIL,
    SKIP
  }

  /** A record handed to {@link #badRecord} with its cause. */
  public record BadRecord(Object record, Throwable cause) {}

  private final String app;
  private final String sink;
  private final int writer;
  private final Policy policy;
  private final String serviceUrl;
  private final String adminUrl;
  private final MeterRegistry meters = new SimpleMeterRegistry();
  // guarded by itself: a benchmark registers many handles, which a copy-on-write list copies
  private final List<Committable> pending = new ArrayList<>();
  private final List<BadRecord> badRecords = new CopyOnWriteArrayList<>();

  /** The context of writer {@code writer} (0 for the committer), with the policy FAIL. */
  public TestSinkContext(String sink, int writer) {
    this(sink, writer, Policy.FAIL);
  }

  public TestSinkContext(String sink, int writer, Policy policy) {
    this("kit", sink, writer, policy, "pulsar://127.0.0.1:1", "http://127.0.0.1:1");
  }

  private TestSinkContext(
      String app, String sink, int writer, Policy policy, String serviceUrl, String adminUrl) {
    this.app = Objects.requireNonNull(app, "app must not be null");
    this.sink = Objects.requireNonNull(sink, "sink must not be null");
    this.writer = writer;
    this.policy = Objects.requireNonNull(policy, "policy must not be null");
    this.serviceUrl = serviceUrl;
    this.adminUrl = adminUrl;
  }

  /** A fresh context like this one for the app named {@code app}. */
  public TestSinkContext withApp(String app) {
    return new TestSinkContext(app, sink, writer, policy, serviceUrl, adminUrl);
  }

  /** A fresh context like this one whose app reads from the Pulsar cluster at these URLs. */
  public TestSinkContext withPulsar(String serviceUrl, String adminUrl) {
    return new TestSinkContext(
        app,
        sink,
        writer,
        policy,
        Objects.requireNonNull(serviceUrl, "serviceUrl must not be null"),
        Objects.requireNonNull(adminUrl, "adminUrl must not be null"));
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
    return writer;
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
  public MeterRegistry meterRegistry() {
    return meters;
  }

  @Override
  public void registerPending(Committable handle) {
    synchronized (pending) {
      pending.add(handle);
    }
  }

  /** The handles registered so far, in order. */
  public List<Committable> pending() {
    synchronized (pending) {
      return List.copyOf(pending);
    }
  }

  /** The records skipped so far (policy SKIP). */
  public List<BadRecord> badRecords() {
    return List.copyOf(badRecords);
  }

  /** A sink meter's value by name, with this context's app and sink tags (0 if never counted). */
  public double counter(String name) {
    Counter c = meters.find(name).tag("app", appName()).tag("sink", sink).counter();
    return c == null ? 0 : c.count();
  }

  @Override
  public void badRecord(Object record, Throwable cause) {
    if (policy == Policy.FAIL) {
      throw new SinkException("bad record " + record + ": " + cause, cause);
    }
    Counter.builder("sluice.sink.bad.records")
        .tag("app", appName())
        .tag("sink", sink)
        .register(meters)
        .increment();
    badRecords.add(new BadRecord(record, cause));
  }
}
