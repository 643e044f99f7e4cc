package io.sluice.sink;

import io.micrometer.core.instrument.MeterRegistry;

/** What the runtime gives a sink's writers and committer. */
public interface SinkContext {
  /** The app's name. */
  String appName();

  /** The sink's name, unique within the app. */
  String sinkName();

  /** Index of the writer (one per slot group); 0 for the committer. */
  int writerIndex();

  /** The Pulsar service URL the app reads from (sinks writing to Pulsar may use it). */
  String pulsarServiceUrl();

  MeterRegistry meterRegistry();

  /**
   * Durably records (synced to the local state store before returning) a handle the writer is about
   * to write into, e.g. a transaction id. After a crash, every recorded handle that is not part of
   * the restored checkpoint is passed to {@link Committer#abort}; handles are forgotten once their
   * checkpoint's commit succeeded. May be called from any thread.
   */
  void registerPending(Committable handle);
}
