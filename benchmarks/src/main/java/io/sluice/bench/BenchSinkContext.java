package io.sluice.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import java.util.ArrayList;
import java.util.List;

/**
 * What the runtime gives a sink, for driving a sink directly: pending handles are kept in memory
 * (the runtime syncs them to RocksDB, a few microseconds per batch) and bad records fail.
 */
final class BenchSinkContext implements SinkContext {
  private final String sink;
  private final MeterRegistry meters = new SimpleMeterRegistry();
  private final List<Committable> pending = new ArrayList<>();

  BenchSinkContext(String sink) {
    this.sink = sink;
  }

  @Override
  public String appName() {
    return "bench";
  }

  @Override
  public String sinkName() {
    return sink;
  }

  @Override
  public int writerIndex() {
    return 0;
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
  public void badRecord(Object record, Throwable cause) {
    throw new SinkException("bad record " + record + ": " + cause, cause);
  }

  @Override
  public synchronized void registerPending(Committable handle) {
    pending.add(handle);
  }
}
