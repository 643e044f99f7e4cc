package io.sluice.internal.checkpoint;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.errors.StateException;
import io.sluice.internal.AdminCalls;
import io.sluice.internal.MessageIds;
import io.sluice.internal.Partitions;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.metrics.Metric;
import io.sluice.source.PositionLostPolicy;
import io.sluice.source.StartPosition;
import io.sluice.state.RecoveryLayer;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.ManagedLedgerInternalStats.CursorStats;
import org.apache.pulsar.common.policies.data.PersistentTopicInternalStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each partition's reader starts: the recovery layers below the local checkpoint. A
 * checkpointed position wins (unless retention deleted its ledger, see {@link PositionLostPolicy});
 * else the subscription's durable cursor (its mark-delete position, read from the topic's internal
 * stats: one admin call per topic, at start-up and discovery only); else the source's start
 * position. Runs on the thread that starts the app or runs discovery.
 */
public final class StartPlanner {
  private static final Logger LOG = LoggerFactory.getLogger(StartPlanner.class);

  private final String app;
  private final PulsarClient client;
  private final PulsarAdmin admin;
  private final Counter positionsLost;

  public StartPlanner(String app, PulsarClient client, PulsarAdmin admin, MeterRegistry meters) {
    this.app = app;
    this.client = client;
    this.admin = admin;
    this.positionsLost = Metric.SOURCE_POSITIONS_LOST.counter(meters, app);
  }

  /** The durable subscription a source's partitions use: its own, or the app's name. */
  public static String subscriptionOf(String app, SourceBinding binding) {
    return binding.source().subscription().orElse(app);
  }

  /**
   * Where partitions that discovery found start: at the subscription's durable cursor if they have
   * one (an app restarted after they were first read), else at their earliest message.
   */
  public Map<String, PartitionStart> planDiscovered(Map<String, SourceBinding> fresh) {
    Map<String, PersistentTopicInternalStats> stats = internalStats(fresh.keySet());
    Map<String, PartitionStart> plan = new HashMap<>();
    for (Map.Entry<String, SourceBinding> e : fresh.entrySet()) {
      PartitionStart start =
          cursorStart(e.getKey(), subscriptionOf(app, e.getValue()), stats.get(e.getKey()));
      plan.put(
          e.getKey(),
          start != null
              ? start
              : new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION));
    }
    return plan;
  }

  /**
   * Decides where each partition starts: checkpoint, else durable cursor, else the source's start
   * position. Fails (or continues from the earliest, as configured) when a checkpointed position's
   * ledger no longer exists.
   */
  public Map<String, PartitionStart> planStarts(
      Map<String, SourceBinding> assignment, Map<String, MessageId> checkpointed) {
    checkStartIds(assignment);
    Map<String, PersistentTopicInternalStats> stats = internalStats(assignment.keySet());
    Map<String, PartitionStart> plan = new HashMap<>();
    for (Map.Entry<String, SourceBinding> e : assignment.entrySet()) {
      String topic = e.getKey();
      SourceBinding binding = e.getValue();
      PersistentTopicInternalStats s = stats.get(topic);
      MessageId restored = checkpointed.get(topic);
      if (restored != null) {
        plan.put(topic, checkpointedStart(topic, binding, restored, s));
        continue;
      }
      PartitionStart fromCursor = cursorStart(topic, subscriptionOf(app, binding), s);
      if (fromCursor != null) {
        plan.put(topic, fromCursor);
      }
    }
    // Neither checkpointed nor subscribed: a partition created while the app was stopped (of a
    // topic it already read, or of a new topic matching a pattern it already read from) starts at
    // its earliest message, as discovery would have started it; anything else is new to the app
    // and starts at the source's start position.
    Set<String> knownTopics = new HashSet<>();
    Set<SourceBinding> resumedSources = new HashSet<>();
    plan.keySet()
        .forEach(
            t -> {
              knownTopics.add(Partitions.baseOf(t));
              resumedSources.add(assignment.get(t));
            });
    for (Map.Entry<String, SourceBinding> e : assignment.entrySet()) {
      String topic = e.getKey();
      SourceBinding binding = e.getValue();
      if (plan.containsKey(topic)) {
        continue;
      }
      boolean createdWhileStopped =
          knownTopics.contains(Partitions.baseOf(topic))
              || (binding.source().pattern().isPresent() && resumedSources.contains(binding));
      if (createdWhileStopped) {
        LOG.info(
            "[{}] {} was created while the app was stopped; reading it from its earliest message",
            app,
            topic);
        plan.put(topic, new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION));
      } else {
        plan.put(topic, configuredStart(topic, binding.source().startPosition()));
      }
    }
    return plan;
  }

  /**
   * A {@link StartPosition#messageIds} name that is none of its source's partitions would be
   * ignored, and the partition it meant read from its earliest message: refused instead. Sources
   * with a pattern are not checked (a topic may be created later).
   */
  private static void checkStartIds(Map<String, SourceBinding> assignment) {
    Map<SourceBinding, Set<String>> partitionsOf = new HashMap<>();
    assignment.forEach(
        (topic, binding) -> partitionsOf.computeIfAbsent(binding, b -> new HashSet<>()).add(topic));
    partitionsOf.forEach(
        (binding, topics) -> {
          if (binding.source().pattern().isPresent()
              || !(binding.source().startPosition() instanceof StartPosition.AfterMessageIds ids)) {
            return;
          }
          for (String named : ids.ids().keySet()) {
            if (!topics.contains(named)) {
              throw new ConfigException(
                  "Invalid StartPosition.messageIds: "
                      + named
                      + " is not a partition this source reads ("
                      + new TreeSet<>(topics)
                      + "). Name each partition of a partitioned topic as <topic>-partition-<n>,"
                      + " and a non-partitioned topic by its name.");
            }
          }
        });
  }

  /**
   * Where a partition with a checkpointed position starts: right after it, unless its ledger is
   * gone. Retention deleted it (the subscription is still there): the {@link PositionLostPolicy}
   * decides. The topic was deleted and created again while the app was stopped (the subscription
   * went with it): a topic matched by a pattern is read anew from its earliest message, as
   * discovery reads a new topic; a named topic follows the policy, with a message saying so.
   */
  private PartitionStart checkpointedStart(
      String topic, SourceBinding binding, MessageId restored, PersistentTopicInternalStats s) {
    String subscription = subscriptionOf(app, binding);
    if (!isLost(restored, s) || consumedThrough(restored, s, subscription)) {
      // (a lost ledger is the position-lost policy's case, even with the cursor moved past it)
      refuseIfOlderThanCursor(topic, restored, s, subscription);
      return new PartitionStart(restored, false, RecoveryLayer.CHECKPOINT);
    }
    boolean recreated = s.cursors == null || !s.cursors.containsKey(subscription);
    if (recreated && binding.source().pattern().isPresent()) {
      LOG.warn(
          "[{}] {} was deleted and created again since checkpointed position {} (its subscription"
              + " {} went with it): reading the new topic from its earliest message",
          app,
          topic,
          restored,
          subscription);
      return new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION);
    }
    positionsLost.increment();
    String msg =
        "The checkpointed position "
            + restored
            + " of "
            + topic
            + " is in ledger "
            + MessageIds.ledgerOf(restored)
            + (recreated
                ? ", which no longer exists: the topic was deleted and created again while the"
                    + " app was stopped (subscription "
                    + subscription
                    + " went with it), so messages of the old topic after that position may never"
                    + " have been processed."
                : ", which retention has deleted (oldest ledger now "
                    + s.ledgers.get(0).ledgerId
                    + "): messages between were never processed.");
    if (binding.source().positionLostPolicy() == PositionLostPolicy.FAIL) {
      throw new SourceException(
          msg
              + " To continue from the earliest message still stored, set"
              + " PulsarSource.onPositionLost(PositionLostPolicy.EARLIEST).");
    }
    LOG.warn("[{}] {} Continuing from the earliest message (onPositionLost=EARLIEST).", app, msg);
    return new PartitionStart(MessageId.earliest, true, RecoveryLayer.CHECKPOINT);
  }

  /**
   * The durable cursor is only ever acknowledged up to a checkpointed position, after that
   * checkpoint completed, so it never stands past the newest checkpoint of the state directory that
   * moved it. One that does means the directory is older than the cursor (restored from a backup,
   * copied from another host or another instance's) or the cursor was moved by hand: resuming from
   * its checkpoint would process and write again what was already committed, so the start is
   * refused, naming the partition and both positions.
   */
  private void refuseIfOlderThanCursor(
      String topic, MessageId checkpointed, PersistentTopicInternalStats s, String subscription) {
    CursorStats cursor = s == null || s.cursors == null ? null : s.cursors.get(subscription);
    if (cursor == null
        || cursor.markDeletePosition == null
        || !(checkpointed instanceof MessageIdAdv at)) {
      return;
    }
    String[] parts = cursor.markDeletePosition.split(":");
    long ledger = Long.parseLong(parts[0]);
    long entry = Long.parseLong(parts[1]);
    if (entry < 0) {
      return; // before a ledger's first entry: where a cursor consumed through a trimmed ledger is
    }
    int c = Long.compare(ledger, at.getLedgerId());
    if (c > 0 || (c == 0 && entry > at.getEntryId())) {
      throw new StateException(
          "The state directory of app "
              + app
              + " is older than the durable cursor of "
              + topic
              + ": its newest checkpoint stands at "
              + at.getLedgerId()
              + ":"
              + at.getEntryId()
              + " but subscription "
              + subscription
              + " has already been acknowledged up to "
              + cursor.markDeletePosition
              + ". It was restored from a backup or copied from another host or instance (or the"
              + " cursor was moved by hand, or by the broker: message TTL, backlog eviction); resuming from it would repeat committed output. Delete"
              + " the state directory to resume from the durable cursors, or give the app the"
              + " directory it last ran with.");
    }
  }

  private static boolean isLost(MessageId position, PersistentTopicInternalStats s) {
    if (s == null || s.ledgers == null || s.ledgers.isEmpty()) {
      return false;
    }
    long ledger = MessageIds.ledgerOf(position);
    return ledger >= 0 && ledger < s.ledgers.get(0).ledgerId;
  }

  /**
   * Whether the app's durable cursor stands exactly at {@code position}'s entry: then the ledger
   * holding it was deleted only because every subscription had consumed it to its end (a cursor
   * keeps what follows it), so nothing after the position is gone, and the reader continues with
   * the next ledger. A cursor past the position (moved by someone else, e.g. skipped over the admin
   * API) proves nothing about what was between, so that still counts as lost.
   */
  private static boolean consumedThrough(
      MessageId position, PersistentTopicInternalStats s, String subscription) {
    CursorStats cursor = s.cursors == null ? null : s.cursors.get(subscription);
    return cursor != null
        && position instanceof MessageIdAdv adv
        && (adv.getLedgerId() + ":" + adv.getEntryId()).equals(cursor.markDeletePosition);
  }

  private PartitionStart cursorStart(
      String topic, String subscription, PersistentTopicInternalStats s) {
    if (s == null || s.cursors == null) {
      return null;
    }
    CursorStats cursor = s.cursors.get(subscription);
    if (cursor == null || cursor.markDeletePosition == null) {
      return null;
    }
    MessageId id = MessageIds.fromPosition(cursor.markDeletePosition, Partitions.indexOf(topic));
    return new PartitionStart(id, false, RecoveryLayer.DURABLE_CURSOR);
  }

  private PartitionStart configuredStart(String topic, StartPosition start) {
    if (start instanceof StartPosition.Latest) {
      return new PartitionStart(MessageId.latest, false, RecoveryLayer.START_POSITION);
    }
    if (start instanceof StartPosition.AfterMessageIds ids) {
      MessageId id = ids.ids().get(topic);
      return id == null
          ? new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION)
          : new PartitionStart(id, false, RecoveryLayer.START_POSITION);
    }
    if (start instanceof StartPosition.Timestamp ts) {
      return timestampStart(topic, ts.epochMillis());
    }
    return new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION);
  }

  /**
   * Finds the first message at or after {@code epochMillis} with a probe reader. Right after a seek
   * the reader reconnects, and the broker may refuse the last-message-id lookup of {@code
   * hasMessageAvailable} meanwhile; such a failure is retried with a fresh probe a few times.
   */
  private PartitionStart timestampStart(String topic, long epochMillis) {
    IOException last = null;
    for (int attempt = 1; attempt <= 5; attempt++) {
      try (Reader<byte[]> probe =
          client.newReader(Schema.BYTES).topic(topic).startMessageId(MessageId.earliest).create()) {
        // The last message stored before looking: if nothing at or after the time is found, the
        // reader starts after it ("latest" would skip what is published meanwhile).
        var lastIds = probe.getLastMessageIds();
        MessageId stored = lastIds.isEmpty() ? null : lastIds.get(0);
        probe.seek(epochMillis);
        if (probe.hasMessageAvailable()) {
          Message<byte[]> first = probe.readNext(30, TimeUnit.SECONDS);
          if (first == null) {
            throw new IOException("a message is available but none came in 30 s");
          }
          return new PartitionStart(first.getMessageId(), true, RecoveryLayer.START_POSITION);
        }
        return !(stored instanceof MessageIdAdv adv) || adv.getEntryId() < 0
            ? new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION)
            : new PartitionStart(
                MessageIds.afterEntry(adv.getLedgerId(), adv.getEntryId(), adv.getPartitionIndex()),
                false,
                RecoveryLayer.START_POSITION);
      } catch (IOException e) {
        last = e;
        LOG.debug(
            "[{}] probing {} at {} failed (attempt {}): {}",
            app,
            topic,
            epochMillis,
            attempt,
            e.toString());
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new SourceException(
        "Cannot find the first message at or after " + epochMillis + " in " + topic, last);
  }

  /**
   * The internal stats of {@code topics} (partitions or non-partitioned topics), a few requests in
   * flight: one request per partitioned topic, one per non-partitioned topic; topics that do not
   * exist yet (no ledgers, no cursor) are left out.
   */
  private Map<String, PersistentTopicInternalStats> internalStats(Set<String> topics) {
    Set<String> partitioned = new HashSet<>();
    Set<String> single = new HashSet<>();
    for (String t : topics) {
      (TopicName.get(t).isPartitioned() ? partitioned : single).add(Partitions.baseOf(t));
    }
    Map<String, PersistentTopicInternalStats> out = new HashMap<>();
    try {
      AdminCalls.each(
              partitioned,
              base ->
                  AdminCalls.orNullIfNotFound(
                      admin.topics().getPartitionedInternalStatsAsync(base)))
          .values()
          .forEach(stats -> out.putAll(stats.partitions));
      out.putAll(
          AdminCalls.each(
              single, t -> AdminCalls.orNullIfNotFound(admin.topics().getInternalStatsAsync(t))));
    } catch (PulsarAdminException e) {
      throw new SourceException(
          "Cannot read the internal stats of the partitions read through the admin API: "
              + e.getMessage(),
          e);
    }
    return out;
  }
}
