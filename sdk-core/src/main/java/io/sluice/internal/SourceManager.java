package io.sluice.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.ConfigException;
import io.sluice.RecoveryLayer;
import io.sluice.SourceException;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.source.PositionLostPolicy;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.source.StartPosition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.impl.ReaderImpl;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.ManagedLedgerInternalStats.CursorStats;
import org.apache.pulsar.common.policies.data.PersistentTopicInternalStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pulsar side of an app: which partitions exist, one Reader (non-durable cursor) per partition
 * feeding its slot group, one durable-cursor consumer per partition, discovery of new partitions
 * and topics, and advancing the durable cursors after each completed checkpoint.
 *
 * <p>The admin (HTTP) API is used at start-up and by discovery only; advancing the cursors is a
 * cumulative acknowledgement on the binary protocol (a consumer with a zero receiver queue that
 * never receives), never one admin call per partition per checkpoint.
 *
 * <p>Thread ownership: start-up runs on the caller of {@code start()}, discovery on the discovery
 * thread, {@link #advanceCursors} on the commit thread; the partition map is concurrent.
 */
final class SourceManager implements CursorCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(SourceManager.class);

  private final String app;
  private final PulsarClient client;
  private final PulsarAdmin admin;
  private final List<SourceBinding> sources;
  private final java.util.function.Function<String, ProcessingGroup> router;
  private final int receiverQueueSize;

  /** Read whole entries ({@link EntryReader}) instead of Readers' single messages. */
  private final boolean entryReads;

  private final Counter readerSwitches;

  private final MeterRegistry meters;
  private final Consumer<Throwable> onFailure;
  private final Map<String, PartitionRef> partitions = new ConcurrentHashMap<>();
  private final Map<String, MessageId> lastAcked = new ConcurrentHashMap<>();

  /** When each partition's {@link #lastAcked} position was acknowledged (epoch millis). */
  private final Map<String, Long> lastAckedAt = new ConcurrentHashMap<>();

  private final Counter discovered;
  private final Counter positionsLost;
  private final Counter ackFailures;
  private final Counter cursorRenewals;

  /** Most messages a fetcher hands to the ring at once. */
  private volatile boolean closed;

  /**
   * Fetchers publish holding the read side; regrouping holds the write side, so while it runs no
   * record enters any ring and no partition is routed.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock gate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  private final java.util.concurrent.ThreadFactory fetcherThreads;
  private final List<Thread> fetchers = new java.util.concurrent.CopyOnWriteArrayList<>();

  SourceManager(
      String app,
      PulsarClient client,
      PulsarAdmin admin,
      List<SourceBinding> sources,
      java.util.function.Function<String, ProcessingGroup> router,
      int receiverQueueSize,
      boolean entryReads,
      MeterRegistry meters,
      Consumer<Throwable> onFailure,
      java.util.concurrent.ThreadFactory fetcherThreads) {
    this.fetcherThreads = fetcherThreads;
    this.app = app;
    this.client = client;
    this.admin = admin;
    this.sources = sources;
    this.router = router;
    this.receiverQueueSize = receiverQueueSize;
    this.entryReads = entryReads;
    this.meters = meters;
    this.onFailure = onFailure;
    this.discovered =
        Counter.builder("sluice.source.partitions.discovered")
            .description("partitions picked up by discovery while running")
            .tag("app", app)
            .register(meters);
    this.positionsLost =
        Counter.builder("sluice.source.positions.lost")
            .description("checkpointed positions whose ledger was deleted by retention")
            .tag("app", app)
            .register(meters);
    this.cursorRenewals =
        Counter.builder("sluice.cursor.renewals")
            .description(
                "durable-cursor consumers renewed to acknowledge an unchanged position again after"
                    + " their connection closed")
            .tag("app", app)
            .register(meters);
    this.readerSwitches =
        Counter.builder("sluice.source.reader.switches")
            .description(
                "partitions whose entry reader met a chunked message and handed over to a Pulsar"
                    + " Reader")
            .tag("app", app)
            .register(meters);
    this.ackFailures =
        Counter.builder("sluice.cursor.commit.failures")
            .description("durable cursor acknowledgements that failed (superseded by the next)")
            .tag("app", app)
            .register(meters);
    Gauge.builder("sluice.source.partitions", partitions, Map::size)
        .tag("app", app)
        .register(meters);
  }

  String subscriptionOf(SourceBinding binding) {
    return binding.source().subscription().orElse(app);
  }

  /** Every partition of every source now; explicit topics that do not exist are an error. */
  Map<String, SourceBinding> resolvePartitions() {
    Map<String, SourceBinding> result = new HashMap<>();
    for (SourceBinding binding : sources) {
      for (String partition : partitionsOf(binding, true)) {
        SourceBinding previous = result.putIfAbsent(partition, binding);
        if (previous != null && previous != binding) {
          throw new ConfigException(
              "Partition "
                  + partition
                  + " is read by two sources ("
                  + previous.source()
                  + " and "
                  + binding.source()
                  + "): a topic may belong to one source only");
        }
      }
    }
    return result;
  }

  private List<String> partitionsOf(SourceBinding binding, boolean strict) {
    PulsarSource source = binding.source();
    try {
      List<String> bases = new ArrayList<>();
      if (source.pattern().isPresent()) {
        String ns = source.patternNamespace();
        Set<String> all = new HashSet<>(admin.topics().getPartitionedTopicList(ns));
        for (String t : admin.topics().getList(ns)) {
          all.add(PartitionRef.baseOf(t));
        }
        for (String t : all) {
          if (!t.contains("/__") && source.pattern().get().matcher(t).matches()) {
            bases.add(t);
          }
        }
      } else {
        bases.addAll(source.topicList());
      }
      List<String> result = new ArrayList<>();
      for (String base : bases) {
        int n;
        try {
          n = admin.topics().getPartitionedTopicMetadata(base).partitions;
        } catch (PulsarAdminException.NotFoundException e) {
          n = -1;
        }
        if (n > 0) {
          for (int i = 0; i < n; i++) {
            result.add(base + "-partition-" + i);
          }
        } else if (n == 0 && (source.pattern().isPresent() || exists(base))) {
          result.add(base);
        } else if (strict) {
          throw new ConfigException(
              "Topic "
                  + base
                  + " does not exist. Create it (pulsar-admin topics create or"
                  + " create-partitioned-topic) or fix the name in PulsarSource.topics(...)");
        }
      }
      return result;
    } catch (PulsarAdminException e) {
      throw new SourceException(
          "Cannot list the topics of " + source + " through the admin API: " + e.getMessage(), e);
    }
  }

  private boolean exists(String topic) throws PulsarAdminException {
    String rest = topic.substring(topic.indexOf("://") + 3);
    String ns = rest.substring(0, rest.lastIndexOf('/'));
    return admin.topics().getList(ns).contains(topic);
  }

  /**
   * Decides where each partition starts: checkpoint, else durable cursor, else the source's start
   * position. Fails (or continues from the earliest, as configured) when a checkpointed position's
   * ledger no longer exists.
   */
  Map<String, PartitionStart> planStarts(
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
        if (isLost(restored, s) && !consumedThrough(restored, s, subscriptionOf(binding))) {
          positionsLost.increment();
          String msg =
              "The checkpointed position "
                  + restored
                  + " of "
                  + topic
                  + " is in ledger "
                  + MessageIds.ledgerOf(restored)
                  + ", which retention has deleted (oldest ledger now "
                  + s.ledgers.get(0).ledgerId
                  + "): messages between were never processed.";
          if (binding.source().positionLostPolicy() == PositionLostPolicy.FAIL) {
            throw new SourceException(
                msg
                    + " To continue from the earliest message still stored, set"
                    + " PulsarSource.onPositionLost(PositionLostPolicy.EARLIEST).");
          }
          LOG.warn(
              "[{}] {} Continuing from the earliest message (onPositionLost=EARLIEST).", app, msg);
          plan.put(topic, new PartitionStart(MessageId.earliest, true, RecoveryLayer.CHECKPOINT));
        } else {
          plan.put(topic, new PartitionStart(restored, false, RecoveryLayer.CHECKPOINT));
        }
        continue;
      }
      PartitionStart fromCursor = cursorStart(topic, subscriptionOf(binding), s);
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
              knownTopics.add(PartitionRef.baseOf(t));
              resumedSources.add(assignment.get(t));
            });
    for (Map.Entry<String, SourceBinding> e : assignment.entrySet()) {
      String topic = e.getKey();
      SourceBinding binding = e.getValue();
      if (plan.containsKey(topic)) {
        continue;
      }
      boolean createdWhileStopped =
          knownTopics.contains(PartitionRef.baseOf(topic))
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
                      + new java.util.TreeSet<>(topics)
                      + "). Name each partition of a partitioned topic as <topic>-partition-<n>,"
                      + " and a non-partitioned topic by its name.");
            }
          }
        });
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
    MessageId id =
        MessageIds.fromPosition(cursor.markDeletePosition, PartitionRef.partitionIndexOf(topic));
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
    java.io.IOException last = null;
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
            throw new java.io.IOException("a message is available but none came in 30 s");
          }
          return new PartitionStart(first.getMessageId(), true, RecoveryLayer.START_POSITION);
        }
        return !(stored instanceof MessageIdAdv adv) || adv.getEntryId() < 0
            ? new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION)
            : new PartitionStart(
                MessageIds.afterEntry(adv.getLedgerId(), adv.getEntryId(), adv.getPartitionIndex()),
                false,
                RecoveryLayer.START_POSITION);
      } catch (java.io.IOException e) {
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

  private Map<String, PersistentTopicInternalStats> internalStats(Set<String> topics) {
    Map<String, PersistentTopicInternalStats> out = new HashMap<>();
    Set<String> bases = new HashSet<>();
    for (String t : topics) {
      bases.add(PartitionRef.baseOf(t));
    }
    for (String base : bases) {
      try {
        if (admin.topics().getPartitionedTopicMetadata(base).partitions > 0) {
          out.putAll(admin.topics().getPartitionedInternalStats(base).partitions);
        } else {
          out.put(base, admin.topics().getInternalStats(base));
        }
      } catch (PulsarAdminException.NotFoundException e) {
        // a partition not created yet has no ledgers and no cursor
      } catch (PulsarAdminException e) {
        throw new SourceException(
            "Cannot read the internal stats of "
                + base
                + " through the admin API: "
                + e.getMessage(),
            e);
      }
    }
    return out;
  }

  /** Subscribes the durable cursors and starts one reader per partition; blocks until done. */
  void startAll(Map<String, SourceBinding> assignment, Map<String, PartitionStart> plan) {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (Map.Entry<String, SourceBinding> e : assignment.entrySet()) {
      started.add(startPartition(e.getKey(), e.getValue(), plan.get(e.getKey())));
    }
    join(started);
  }

  private CompletableFuture<Void> startPartition(
      String topic, SourceBinding binding, PartitionStart start) {
    gate.readLock().lock();
    try {
      return startPartitionRouted(topic, binding, start);
    } finally {
      gate.readLock().unlock();
    }
  }

  private CompletableFuture<Void> startPartitionRouted(
      String topic, SourceBinding binding, PartitionStart start) {
    ProcessingGroup group = router.apply(topic);
    PartitionRef ref =
        new PartitionRef(
            binding.index(),
            topic,
            PartitionRef.baseOf(topic),
            PartitionRef.partitionIndexOf(topic),
            subscriptionOf(binding),
            group,
            binding.decoder(),
            binding.source().badRecordPolicy(),
            binding.source().maxOutOfOrderness().toMillis(),
            binding.source().idleTimeout().toNanos(),
            binding.source().maxRecordBytes());
    ref.stateScope = scopeIn(group, ref);
    group.addPartition(ref);
    ref.recordsIn =
        Counter.builder("sluice.source.records")
            .description("records processed per topic")
            .tag("app", app)
            .tag("topic", ref.baseTopic)
            .register(meters);
    Gauge.builder(
            "sluice.source.lag.ms",
            ref,
            r -> r.lastPublishTime == 0 ? 0 : System.currentTimeMillis() - r.lastPublishTime)
        .description("age of the last processed message of a partition")
        .tag("app", app)
        .tag("partition", topic)
        .register(meters);
    partitions.put(topic, ref);
    SubscriptionInitialPosition initial =
        start.id() == MessageId.latest
            ? SubscriptionInitialPosition.Latest
            : SubscriptionInitialPosition.Earliest;
    CompletableFuture<Void> cursor =
        subscribeCursor(ref, initial)
            .thenCompose(c -> placeNewCursor(c, start).thenApply(v -> c))
            .thenAccept(c -> ref.cursor = c);
    CompletableFuture<Void> reader;
    // a non-persistent topic's messages all carry the id 0:0, so entries cannot be told apart
    if (entryReads && TopicName.get(topic).isPersistent()) {
      ref.splitter = new EntrySplitter(topic, start);
      reader =
          EntryReader.create(
                  client, topic, start.id(), start.inclusive(), receiverQueueSize, app + "-reader")
              .thenAccept(
                  r -> {
                    ref.entries = r;
                    if (closed) {
                      // created after closeReaders looked: the client does not list it, so
                      // closing the client would not close it
                      r.closeAsync();
                    }
                  });
    } else {
      reader = newReader(topic, start).createAsync().thenAccept(r -> ref.reader = r);
    }
    // The fetcher starts once both exist: a partition whose start fails has read nothing, so
    // forgetting it lets the next discovery start it afresh.
    return CompletableFuture.allOf(cursor, reader)
        .thenRun(() -> startFetcher(ref))
        .exceptionally(
            t -> {
              forget(ref, cursor, reader);
              Throwable cause =
                  t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
              if (cause instanceof PulsarClientException.ConsumerBusyException) {
                throw new ConfigException(
                    "Subscription "
                        + ref.subscription
                        + " on "
                        + topic
                        + " is held by another consumer: another instance of app "
                        + app
                        + " is running, or another app uses the same subscription. Sluice runs"
                        + " one instance per subscription; stop the other or choose another"
                        + " subscription.",
                    cause);
              }
              throw new SourceException("Cannot start reading " + topic + ": " + cause, cause);
            });
  }

  /** A Pulsar Reader of one partition from {@code start}, as the fetchers read. */
  private org.apache.pulsar.client.api.ReaderBuilder<byte[]> newReader(
      String topic, PartitionStart start) {
    var builder =
        client
            .newReader(Schema.BYTES)
            .topic(topic)
            .startMessageId(start.id())
            .receiverQueueSize(receiverQueueSize)
            .readerName(app + "-reader");
    if (start.inclusive()) {
      builder.startMessageIdInclusive();
    }
    return builder;
  }

  /**
   * Undoes a partition's start that failed: the reader or cursor that was created is closed, and
   * the partition is no longer known, so discovery tries it again.
   */
  private void forget(
      PartitionRef ref,
      CompletableFuture<Void> cursorCreated,
      CompletableFuture<Void> readerCreated) {
    partitions.remove(ref.topic, ref);
    ref.group.removePartition(ref);
    var lag = meters.find("sluice.source.lag.ms").tag("partition", ref.topic).gauge();
    if (lag != null) {
      meters.remove(lag);
    }
    // both futures are done (allOf failed only once each had completed)
    cursorCreated.thenRun(() -> ref.cursor.closeAsync());
    readerCreated.thenRun(ref::closeReader);
  }

  /** Looks for new partitions and topics; new ones start at their earliest message. */
  void discover() {
    if (closed) {
      return;
    }
    try {
      Map<String, SourceBinding> fresh = new HashMap<>();
      for (SourceBinding binding : sources) {
        for (String topic : partitionsOf(binding, false)) {
          if (!partitions.containsKey(topic)) {
            fresh.put(topic, binding);
          }
        }
      }
      if (fresh.isEmpty()) {
        return;
      }
      Map<String, PersistentTopicInternalStats> stats = internalStats(fresh.keySet());
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (Map.Entry<String, SourceBinding> e : fresh.entrySet()) {
        PartitionStart start =
            cursorStart(e.getKey(), subscriptionOf(e.getValue()), stats.get(e.getKey()));
        if (start == null) {
          start = new PartitionStart(MessageId.earliest, true, RecoveryLayer.START_POSITION);
        }
        LOG.info("[{}] discovered {}; reading from {}", app, e.getKey(), start.id());
        started.add(startPartition(e.getKey(), e.getValue(), start));
        discovered.increment();
      }
      join(started);
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.warn("[{}] discovery failed; retrying at the next interval", app, e);
      }
    }
  }

  /**
   * A partition read from the source's configured start at a message id or a time has no durable
   * cursor yet (else it would start from that cursor): the subscription was just created at the
   * earliest message. It is moved to the start, so that if the app stops before its first
   * checkpoint, the next start resumes there and not from the topic's first message.
   */
  private static CompletableFuture<Void> placeNewCursor(
      org.apache.pulsar.client.api.Consumer<byte[]> cursor, PartitionStart start) {
    if (start.layer() != RecoveryLayer.START_POSITION
        || start.id() == MessageId.earliest
        || start.id() == MessageId.latest) {
      return CompletableFuture.completedFuture(null);
    }
    if (!start.inclusive()) {
      return cursor.acknowledgeCumulativeAsync(MessageIds.detached(start.id()));
    }
    // Inclusive: to the entry before the start's (a cumulative acknowledgement only ever moves a
    // cursor forward, unlike a seek). A start at a ledger's first entry stays where it is.
    if (!(start.id() instanceof MessageIdAdv adv) || adv.getEntryId() <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    return cursor.acknowledgeCumulativeAsync(
        MessageIds.atEntry(adv.getLedgerId(), adv.getEntryId() - 1, adv.getPartitionIndex()));
  }

  /** The idle consumer holding a partition's durable cursor (it never receives). */
  private CompletableFuture<org.apache.pulsar.client.api.Consumer<byte[]>> subscribeCursor(
      PartitionRef ref, SubscriptionInitialPosition initial) {
    return client
        .newConsumer(Schema.BYTES)
        .topic(ref.topic)
        .subscriptionName(ref.subscription)
        .subscriptionType(SubscriptionType.Exclusive)
        .subscriptionInitialPosition(initial)
        .receiverQueueSize(0)
        .consumerName(app + "-cursor")
        .subscribeAsync();
  }

  /**
   * Advances every partition's durable cursor to its checkpointed position (asynchronously, on the
   * binary protocol). A failure is counted and superseded by the next checkpoint. A partition whose
   * position has not moved since its last acknowledgement is acknowledged again only if the
   * cursor's connection closed since then (see {@link #renewCursor}).
   */
  @Override
  public void advanceCursors(Map<String, MessageId> positions) {
    for (Map.Entry<String, MessageId> e : positions.entrySet()) {
      PartitionRef ref = partitions.get(e.getKey());
      if (ref == null) {
        continue;
      }
      MessageId id = e.getValue();
      var cursor = ref.cursor;
      if (cursor == null) {
        if (ref.cursorLost && !closed) {
          renewCursor(ref, null, id);
        }
        continue;
      }
      if (!id.equals(lastAcked.get(ref.topic))) {
        acknowledge(cursor, ref.topic, id);
      } else if (!closed
          && cursor.isConnected() // not while it reconnects: the broker may still hold it
          && cursor.getLastDisconnectedTimestamp() >= lastAckedAt.getOrDefault(ref.topic, 0L)) {
        renewCursor(ref, cursor, id);
      }
    }
  }

  private CompletableFuture<Void> acknowledge(
      org.apache.pulsar.client.api.Consumer<byte[]> cursor, String topic, MessageId id) {
    long at = System.currentTimeMillis();
    return cursor
        .acknowledgeCumulativeAsync(MessageIds.detached(id))
        .whenComplete(
            (ok, t) -> {
              if (t == null) {
                lastAcked.put(topic, id);
                lastAckedAt.put(topic, at);
              } else {
                ackFailures.increment();
                LOG.warn(
                    "[{}] advancing the durable cursor of {} failed: {}", app, topic, t.toString());
              }
            });
  }

  /**
   * The cursor's connection closed after its last acknowledgement, and the partition has had
   * nothing new since: the broker may not have stored that acknowledgement (e.g. it crashed before
   * writing the cursor), and the client drops a cumulative acknowledgement that is not past its
   * last one, so the cursor would stay behind until the partition gets new records. A fresh
   * consumer on the subscription acknowledges the position again. Until it is in place the
   * partition's cursor is left alone; a failed attempt is tried again at the next checkpoint.
   */
  private void renewCursor(
      PartitionRef ref, org.apache.pulsar.client.api.Consumer<byte[]> stale, MessageId id) {
    cursorRenewals.increment();
    ref.cursor = null;
    ref.cursorLost = false;
    lastAcked.remove(ref.topic); // if the fresh consumer's acknowledgement fails, the next one goes
    // whether the broker confirmed the close (else it may still hold the stale consumer)
    CompletableFuture<Boolean> closedStale =
        stale == null
            ? CompletableFuture.completedFuture(true)
            : stale.closeAsync().handle((v, t) -> t == null);
    boolean[] confirmed = {false};
    closedStale
        .thenCompose(
            ok -> {
              confirmed[0] = ok;
              return subscribeCursor(ref, SubscriptionInitialPosition.Earliest);
            })
        .thenCompose(
            fresh -> {
              if (closed) {
                return fresh.closeAsync();
              }
              ref.cursor = fresh;
              return acknowledge(fresh, ref.topic, id);
            })
        .whenComplete(
            (ok, t) -> {
              Throwable cause =
                  t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
              if (cause instanceof PulsarClientException.ConsumerBusyException
                  && confirmed[0]
                  && !closed) {
                // our consumer was closed first, so this is another one: two instances of the app
                onFailure.accept(
                    new SourceException(
                        "Another consumer took the durable subscription "
                            + ref.subscription
                            + " of "
                            + ref.topic
                            + " while its consumer was renewed: is a second instance of the app"
                            + " running with the same subscription?",
                        cause));
              } else if (t != null && ref.cursor == null) {
                ref.cursorLost = true;
                ackFailures.increment();
                LOG.warn(
                    "[{}] renewing the durable cursor's consumer of {} failed (retried at the next"
                        + " checkpoint): {}",
                    app,
                    ref.topic,
                    t.toString());
              } else if (t == null && !closed) {
                LOG.info(
                    "[{}] acknowledged the durable cursor of {} again at {}: its connection had"
                        + " closed since the last acknowledgement",
                    app,
                    ref.topic,
                    id);
              }
            });
  }

  /** Each partition and the name of the slot group it feeds now. */
  Map<String, String> groupNameOfPartition() {
    Map<String, String> out = new HashMap<>();
    partitions.forEach((topic, ref) -> out.put(topic, ref.group.name()));
    return out;
  }

  Set<String> partitionNames() {
    return Set.copyOf(partitions.keySet());
  }

  /**
   * One fetcher thread per partition, blocking in {@code readNext}: a message crosses one thread
   * boundary (client I/O thread → fetcher) before the ring, instead of two with a reader listener
   * (internal executor → listener executor, one task per message). The thread decodes (when the
   * source has a decoder) and publishes to the ring, blocking while it is full.
   */
  private void startFetcher(PartitionRef ref) {
    Thread fetcher =
        fetcherThreads.newThread(ref.entries != null ? () -> fetchEntries(ref) : () -> fetch(ref));
    fetcher.setDaemon(true);
    fetchers.add(fetcher);
    fetcher.start();
  }

  /**
   * The fetcher of an {@link EntryReader}: takes whole entries (the prefetched ones without
   * waiting, until it has a ring slot's worth of records), splits them and publishes the records, a
   * slot's worth at a time.
   */
  private void fetchEntries(PartitionRef ref) {
    EntryReader reader = ref.entries;
    EntrySplitter splitter = ref.splitter;
    List<SourceRecord> records = new ArrayList<>(ProcessingGroup.MAX_BATCH);
    while (!closed) {
      try {
        Message<byte[]> entry = reader.receive(100, TimeUnit.MILLISECONDS);
        if (entry == null) {
          continue;
        }
        Message<byte[]> last = null;
        boolean chunk = false;
        int limit = ref.group.maxBatch();
        do {
          if (splitter.isUnreadChunk(entry)) {
            chunk = true;
            break;
          }
          reader.taken(entry, splitter.split(entry, records));
          last = entry;
        } while (records.size() < limit
            && (entry = reader.receive(0, TimeUnit.MILLISECONDS)) != null);
        // a ring slot holds at most a batch's worth, as with Readers: a big entry takes several
        // (the processing thread starts on its first records while the rest are decoded)
        for (int from = 0; from < records.size(); from += limit) {
          List<SourceRecord> slot = records.subList(from, Math.min(records.size(), from + limit));
          if (!publish(ref, slot, ProcessingGroup::publishRecords)) {
            return;
          }
        }
        records.clear();
        if (last != null) {
          reader.acknowledgeCumulativeAsync(last.getMessageId());
        }
        if (chunk) {
          switchToReader(ref, entry);
          fetch(ref);
          return;
        }
      } catch (PulsarClientException | RuntimeException | Error e) {
        onFetchFailure(ref, e);
        return;
      }
    }
  }

  /**
   * Hands a partition whose entry reader met a chunked message to a Pulsar Reader, which joins
   * chunks: it starts right after the last entry split, so nothing is read twice or skipped.
   */
  private void switchToReader(PartitionRef ref, Message<byte[]> chunk)
      throws PulsarClientException {
    PartitionStart resume = ref.splitter.resume(TopicName.getPartitionIndex(ref.topic));
    LOG.warn(
        "[{}] {} holds a chunked message (a chunk at {}); whole entries cannot join chunks, so a"
            + " Pulsar Reader reads the partition from {} on",
        app,
        ref.topic,
        chunk.getMessageId(),
        resume.id());
    ref.reader = newReader(ref.topic, resume).create();
    EntryReader entries = ref.entries;
    ref.entries = null;
    entries.closeAsync();
    readerSwitches.increment();
  }

  /**
   * Publishes a fetcher's batch to the partition's slot group; false (the fetcher ends) if the
   * group stopped while its ring was full.
   */
  private <T> boolean publish(PartitionRef ref, List<T> batch, Publisher<T> publisher) {
    boolean published;
    gate.readLock().lock();
    try {
      published = publisher.publish(ref.group, batch, ref);
    } finally {
      gate.readLock().unlock();
    }
    if (!published && !closed) {
      // its slot group stopped while the ring was full: the app is stopping
      onFailure.accept(
          new SourceException("The slot group of " + ref.topic + " stopped while it was read"));
    }
    return published;
  }

  @FunctionalInterface
  private interface Publisher<T> {
    boolean publish(ProcessingGroup group, List<T> batch, PartitionRef ref);
  }

  /**
   * The fetcher of a Reader (with {@code entryReads(false)}): takes the prefetched messages without
   * waiting, up to a ring slot's worth, and publishes them as one slot.
   */
  private void fetch(PartitionRef ref) {
    Reader<byte[]> reader = ref.reader;
    // Reader.readNext acknowledges every message on the reader's non-durable cursor; receiving
    // from the reader's own consumer and acknowledging once per batch keeps the same cursor
    // position at a fraction of the bookkeeping.
    org.apache.pulsar.client.api.Consumer<byte[]> direct =
        reader instanceof ReaderImpl<byte[]> impl ? impl.getConsumer() : null;
    List<Message<byte[]>> batch = new ArrayList<>(ProcessingGroup.MAX_BATCH);
    while (!closed) {
      try {
        Message<byte[]> message = next(reader, direct, 100);
        if (message == null) {
          continue;
        }
        batch.add(message);
        int limit = ref.group.maxBatch();
        while (batch.size() < limit && (message = next(reader, direct, 0)) != null) {
          batch.add(message);
        }
        if (!publish(ref, batch, ProcessingGroup::publish)) {
          return;
        }
        if (direct != null) {
          direct.acknowledgeCumulativeAsync(batch.get(batch.size() - 1).getMessageId());
        }
        batch.clear();
      } catch (PulsarClientException | RuntimeException | Error e) {
        onFetchFailure(ref, e);
        return;
      }
    }
  }

  /**
   * A fetcher ended on {@code e}: the partition can no longer be read, so the app fails (unless it
   * is stopping, or a topic matched by a pattern was deleted). Besides reads, e.g. an Error from a
   * user decoder (decoders' exceptions are bad records) or a batch that cannot be split: the
   * partition would otherwise silently stop being read while the app kept checkpointing.
   */
  private void onFetchFailure(PartitionRef ref, Throwable e) {
    if (closed) {
      return;
    }
    if (!(e instanceof PulsarClientException)) {
      onFailure.accept(
          e instanceof SourceException se
              ? se
              : new SourceException(
                  "The fetcher of " + ref.topic + " failed: " + e + " (see the cause)", e));
    } else if (e instanceof PulsarClientException.AlreadyClosedException && matchedByPattern(ref)) {
      // a topic matching a pattern may be deleted on purpose: the others go on
      LOG.warn(
          "[{}] the reader of {} was closed by the broker (topic deleted?); it is no longer read:"
              + " {}",
          app,
          ref.topic,
          e.toString());
    } else if (e instanceof PulsarClientException.AlreadyClosedException) {
      // not closed by us: the broker closed it for good (e.g. the topic was deleted); returning
      // quietly would leave the partition unread for ever
      onFailure.accept(
          new SourceException(
              "The reader of "
                  + ref.topic
                  + " was closed by the broker (was the topic deleted?); the partition can no"
                  + " longer be read: "
                  + e,
              e));
    } else {
      onFailure.accept(new SourceException("Reading " + ref.topic + " failed: " + e, e));
    }
  }

  private boolean matchedByPattern(PartitionRef ref) {
    return sources.stream()
        .anyMatch(b -> b.index() == ref.sourceIndex && b.source().pattern().isPresent());
  }

  private static Message<byte[]> next(
      Reader<byte[]> reader, org.apache.pulsar.client.api.Consumer<byte[]> direct, int millis)
      throws PulsarClientException {
    return direct != null
        ? direct.receive(millis, TimeUnit.MILLISECONDS)
        : reader.readNext(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Runs {@code action} while no fetcher publishes and no partition is routed (fetchers finish the
   * batch they are publishing first, then wait).
   */
  <T> T paused(java.util.function.Supplier<T> action) {
    gate.writeLock().lock();
    try {
      return action.get();
    } finally {
      gate.writeLock().unlock();
    }
  }

  /** Routes every partition again through the router (while {@link #paused}). */
  void reroute() {
    for (PartitionRef ref : partitions.values()) {
      ProcessingGroup group = router.apply(ref.topic);
      ref.group = group;
      ref.stateScope = scopeIn(group, ref);
      group.addPartition(ref);
    }
  }

  private static byte[] scopeIn(ProcessingGroup group, PartitionRef ref) {
    return group.topicScoped()
        ? io.sluice.state.internal.KeyedStateBackend.scopeOf(ref.baseTopic)
        : new byte[0];
  }

  /** Stops the readers (no more messages reach the rings). */
  void closeReaders() {
    closed = true;
    // one deadline for all: a fetcher blocked on a full ring (its processing thread stuck) must
    // not hold up close() for 5 s per partition
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Thread t : fetchers) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (PartitionRef ref : partitions.values()) {
      closing.add(ref.closeReader());
    }
    joinQuietly(closing);
  }

  /** Closes the durable-cursor consumers (pending acknowledgements are flushed first). */
  void closeCursors() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (PartitionRef ref : partitions.values()) {
      if (ref.cursor != null) {
        closing.add(ref.cursor.closeAsync());
      }
    }
    joinQuietly(closing);
  }

  private static void join(List<CompletableFuture<Void>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new SourceException("Cannot start the partition readers: " + cause, cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new SourceException("Partition readers did not start within 120 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException("interrupted while starting readers", e);
    }
  }

  private void joinQuietly(List<CompletableFuture<Void>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("[{}] closing readers/cursors: {}", app, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void reportFailure(Throwable t) {
    onFailure.accept(t);
  }
}
