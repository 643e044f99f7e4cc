package io.sluice.sink;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PulsarSecurity;
import java.time.Duration;

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

  /** The admin (HTTP) URL of the same cluster, or null if the runtime has none. */
  default String pulsarAdminUrl() {
    return null;
  }

  /**
   * The authentication and TLS trust of the app's Pulsar clients ({@code
   * Sluice.Builder.pulsarSecurity}), for sinks that connect to the app's cluster.
   */
  default PulsarSecurity pulsarSecurity() {
    return PulsarSecurity.none();
  }

  MeterRegistry meterRegistry();

  /**
   * Whether other replicas of the app may run ({@code Sluice.Builder.replicated}): a resource the
   * previous active replica held (an exclusive subscription, a lock) may stay held until the broker
   * or server drops that replica's connection, so a sink waits for it rather than failing at once.
   */
  default boolean replicated() {
    return false;
  }

  /**
   * The longest output a writer prepared may wait for its commit while the app keeps running:
   * checkpoints that fail carry it on to the next, and a commit that is behind holds it, each
   * bounded by the app's checkpoint settings ({@code (checkpoint.interval + checkpoint.timeout) ×
   * (2 × checkpoint.maxConsecutiveFailures + 1)}). A sink whose prepared output expires (a
   * transaction timeout) must let it live longer than this, or an outage the app rides out loses
   * output. Zero when unknown.
   */
  default Duration commitBound() {
    return Duration.ZERO;
  }

  /**
   * Hands over a record the sink cannot map (wrong type, missing field, value the server refuses):
   * with the app's sink bad-record policy FAIL (default) this throws a {@link
   * io.sluice.errors.SinkException} naming the sink, the record and the cause; with SKIP the record
   * is counted ({@code sluice.sink.bad.records}), logged at WARN and dropped. Call it from {@link
   * SinkWriter#write} or from a thread finishing the writer's batch (a refusal found when a
   * prepared batch's last insert is answered); it is thread-safe.
   */
  void badRecord(Object record, Throwable cause);

  /**
   * Durably records (synced to the local state store before returning) a handle the writer is about
   * to write into, e.g. a transaction id. The handle must be byte-for-byte what {@link
   * Committer#pendingHandleOf} returns for the {@link Committable} the writer later prepares for
   * that output (by default the committable itself): the runtime forgets a handle when such a
   * committable is committed, and aborts it on recovery otherwise. After a crash, every recorded
   * handle that is not part of the restored checkpoint is passed to {@link Committer#abort};
   * handles are forgotten once their checkpoint's commit succeeded. May be called from any thread.
   */
  void registerPending(Committable handle);
}
