package io.sluice.sink;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A sink context that keeps registered pending handles in memory, as the state store would. */
public final class TestSinkContext implements SinkContext {
  private final String sink;
  private final int writer;
  private final MeterRegistry meters = new SimpleMeterRegistry();
  private final List<Committable> pending = new CopyOnWriteArrayList<>();

  public TestSinkContext(String sink, int writer) {
    this.sink = sink;
    this.writer = writer;
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

  @Override
  public void badRecord(Object record, Throwable cause) {
    throw new io.sluice.SinkException("bad record " + record + ": " + cause, cause);
  }
}
