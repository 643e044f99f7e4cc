package io.sluice.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PulsarSecurity;
import io.sluice.source.BadRecordPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/** Validated settings of one app (built by {@code Sluice.Builder}). */
public record AppSettings(
    String name,
    String serviceUrl,
    String adminUrl,
    PulsarSecurity pulsarSecurity,
    Path stateDir,
    Duration checkpointInterval,
    Duration checkpointTimeout,
    int retainedCheckpoints,
    int maxConsecutiveCheckpointFailures,
    int ringSize,
    long ringBytes,
    String waitStrategy,
    int receiverQueueSize,
    int fetchThreads,
    boolean entryReads,
    boolean stateChangelog,
    boolean replicated,
    int shards,
    String instanceName,
    Duration discoveryInterval,
    boolean finalCheckpointOnClose,
    BadRecordPolicy badSinkRecordPolicy,
    Map<String, String> slotGroupOfTopic,
    double autoSlotGroupHotBytesPerSecond,
    int autoSlotGroupShared,
    Duration regroupInterval,
    MeterRegistry meterRegistry,
    boolean partitionMeters,
    ThreadFactory threadFactory,
    Consumer<Throwable> failureListener) {

  /** See {@link io.sluice.sink.SinkContext#commitBound}. */
  public Duration commitBound() {
    return checkpointInterval
        .plus(checkpointTimeout)
        .multipliedBy(2L * maxConsecutiveCheckpointFailures + 1);
  }

  /** The fetcher threads to run: as configured, or one per core (at least 2) for 0. */
  public int fetcherThreads() {
    return fetchThreads > 0
        ? fetchThreads
        : Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  /** These settings with meters registered in {@code registry} instead. */
  public AppSettings withMeterRegistry(MeterRegistry registry) {
    return new AppSettings(
        name,
        serviceUrl,
        adminUrl,
        pulsarSecurity,
        stateDir,
        checkpointInterval,
        checkpointTimeout,
        retainedCheckpoints,
        maxConsecutiveCheckpointFailures,
        ringSize,
        ringBytes,
        waitStrategy,
        receiverQueueSize,
        fetchThreads,
        entryReads,
        stateChangelog,
        replicated,
        shards,
        instanceName,
        discoveryInterval,
        finalCheckpointOnClose,
        badSinkRecordPolicy,
        slotGroupOfTopic,
        autoSlotGroupHotBytesPerSecond,
        autoSlotGroupShared,
        regroupInterval,
        registry,
        partitionMeters,
        threadFactory,
        failureListener);
  }
}
