package io.sluice.internal.runtime;

import io.micrometer.core.instrument.Counter;
import io.sluice.internal.AppSettings;
import io.sluice.internal.MessageIds;
import io.sluice.internal.Partitions;
import io.sluice.internal.checkpoint.CheckpointCoordinator;
import io.sluice.internal.group.SlotGroupPlanner;
import io.sluice.internal.group.SlotGroups;
import io.sluice.internal.source.SourceManager;
import io.sluice.metrics.Metric;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic slot groups: plans them at start-up from the byte rate the broker measured for each
 * topic (one admin call per topic), and on the checkpoint thread, every regroup interval, measures
 * again; when the set of hot topics changed, replaces the groups at a checkpoint boundary:
 *
 * <pre>
 *  pause fetchers ─▶ checkpoint (everything published so far processed, recorded, committed)
 *   ─▶ stop groups ─▶ start the new plan's groups from that checkpoint ─▶ re-route ─▶ resume
 * </pre>
 *
 * Keyed state in automatic groups is scoped by topic, so any plan finds it.
 */
final class Regrouper {
  private static final Logger LOG = LoggerFactory.getLogger(Regrouper.class);

  private final AppSettings settings;
  private final PulsarAdmin admin;
  private final SlotGroups groups;
  private final BooleanSupplier failed;
  private Counter regroups;
  private Set<String> hotTopics = Set.of();
  private long nextRegroupNanos;

  Regrouper(AppSettings settings, PulsarAdmin admin, SlotGroups groups, BooleanSupplier failed) {
    this.settings = settings;
    this.admin = admin;
    this.groups = groups;
    this.failed = failed;
  }

  private boolean automatic() {
    return settings.autoSlotGroupShared() >= 1;
  }

  /** Plans the automatic groups of {@code partitions} (before the groups start). */
  void planAtStart(Set<String> partitions) {
    if (!automatic()) {
      return;
    }
    regroups = Metric.SLOTGROUP_REGROUPS.counter(settings.meterRegistry(), settings.name());
    Map<String, Double> rates = measureRates(autoTopics(partitions));
    hotTopics =
        SlotGroupPlanner.hotTopics(rates, settings.autoSlotGroupHotBytesPerSecond(), Set.of());
    groups.applyPlan(SlotGroupPlanner.plan(rates, hotTopics, settings.autoSlotGroupShared()));
    // the first re-measurement comes one interval after this plan, not at the first checkpoint
    nextRegroupNanos = System.nanoTime() + settings.regroupInterval().toNanos();
  }

  /**
   * Base topics of {@code partitions} that are not in a declared group, each with whether it is
   * partitioned (known from the partition names, so measuring needs no metadata call).
   */
  private Map<String, Boolean> autoTopics(Set<String> partitions) {
    Map<String, Boolean> topics = new TreeMap<>();
    for (String partition : partitions) {
      String base = Partitions.baseOf(partition);
      if (!settings.slotGroupOfTopic().containsKey(base)) {
        topics.put(base, Partitions.indexOf(partition) >= 0);
      }
    }
    return topics;
  }

  /** The broker's measured byte rate of each topic (0 when it cannot be read). */
  private Map<String, Double> measureRates(Map<String, Boolean> topics) {
    Map<String, Double> rates = new HashMap<>();
    for (Map.Entry<String, Boolean> topic : topics.entrySet()) {
      String base = topic.getKey();
      try {
        rates.put(
            base,
            topic.getValue()
                ? admin.topics().getPartitionedStats(base, false).getMsgThroughputIn()
                : admin.topics().getStats(base).getMsgThroughputIn());
      } catch (Exception e) {
        LOG.warn(
            "[{}] no byte rate for {} ({}); it counts as cold",
            settings.name(),
            base,
            e.toString());
        rates.put(base, 0.0);
      }
    }
    return rates;
  }

  /** After a checkpoint, on the checkpoint thread: re-plans if the hot topics changed. */
  void maybeRegroup(CheckpointCoordinator coordinator, SourceManager sources, StateStore store) {
    if (!automatic() || settings.regroupInterval().isZero() || failed.getAsBoolean()) {
      return;
    }
    long now = System.nanoTime();
    if (now < nextRegroupNanos) {
      return;
    }
    nextRegroupNanos = now + settings.regroupInterval().toNanos();
    Map<String, Double> rates = measureRates(autoTopics(sources.partitionNames()));
    Set<String> hot =
        SlotGroupPlanner.hotTopics(rates, settings.autoSlotGroupHotBytesPerSecond(), hotTopics);
    if (hot.equals(hotTopics)) {
      groups.updateLoad(rates);
      return;
    }
    List<SlotGroupPlanner.Planned> plan =
        SlotGroupPlanner.plan(rates, hot, settings.autoSlotGroupShared());
    if (sources.paused(
        () -> regroup(plan, coordinator, sources, store), settings.checkpointTimeout())) {
      LOG.info(
          "[{}] hot topics changed from {} to {}: regrouped, slot groups now {}",
          settings.name(),
          hotTopics,
          hot,
          groups.assignment(sources.groupNameOfPartition()));
      hotTopics = hot;
    }
  }

  /**
   * With the fetchers paused: one checkpoint completes (everything published so far is processed,
   * prepared, recorded and committed), the groups stop, and new groups start from that checkpoint's
   * positions. Returns false (groups unchanged) if the checkpoint failed.
   */
  private boolean regroup(
      List<SlotGroupPlanner.Planned> plan,
      CheckpointCoordinator coordinator,
      SourceManager sources,
      StateStore store) {
    if (!coordinator.checkpoint()) {
      LOG.warn("[{}] regrouping postponed: its checkpoint failed", settings.name());
      return false;
    }
    if (!coordinator.awaitCommits(settings.checkpointTimeout())) {
      // The checkpoint is complete; its output stays committed-to-be (the next one lists it).
      LOG.warn(
          "[{}] regrouping goes on with the commit of its checkpoint still running",
          settings.name());
    }
    CheckpointRecord checkpoint =
        store
            .latestCheckpoint()
            .orElseThrow(() -> new IllegalStateException("no checkpoint after a completed one"));
    groups.replace(plan, MessageIds.positionsOf(checkpoint), checkpoint.id());
    sources.reroute();
    regroups.increment();
    return true;
  }
}
