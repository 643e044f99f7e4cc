package io.sluice.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.SinkException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A sink context that keeps registered pending handles in memory, as the state store would, and
 * handles bad records like the runtime: FAIL (default) throws, SKIP counts {@code
 * sluice.sink.bad.records} and keeps the record for the test to inspect.
 */
public final class TestSinkContext implements SinkContext {
  /** What {@link #badRecord} does, as the app's sink bad-record policy. */
  public enum Policy {
    FAIL,
    SKIP
  }

  /** A record handed to {@link #badRecord} with its cause. */
  public record BadRecord(Object record, Throwable cause) {}

  private final String sink;
  private final int writer;
  private final Policy policy;
  private final MeterRegistry meters = new SimpleMeterRegistry();
  private final List<Committable> pending = new CopyOnWriteArrayList<>();
  private final List<BadRecord> badRecords = new CopyOnWriteArrayList<>();

  public TestSinkContext(String sink, int writer) {
    this(sink, writer, Policy.FAIL);
  }

  public TestSinkContext(String sink, int writer, Policy policy) {
    this.sink = sink;
    this.writer = writer;
    this.policy = policy;
  }

  @Override
  public String appName() {
    return "kit";
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
    return "pulsar://127.0.0.1:1";
  }

  @Override
  public String pulsarAdminUrl() {
    return "http://127.0.0.1:1";
  }

  @Override
  public MeterRegistry meterRegistry() {
    return meters;
  }

  @Override
  public void registerPending(Committable handle) {
    pending.add(handle);
  }

  public List<Committable> pending() {
    return List.copyOf(pending);
  }

  /** The records skipped so far (policy SKIP). */
  public List<BadRecord> badRecords() {
    return List.copyOf(badRecords);
  }

  /** A sink meter's value by name, with this context's app and sink tags. */
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
