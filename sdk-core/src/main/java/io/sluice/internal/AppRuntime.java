package io.sluice.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.CheckpointException;
import io.sluice.ConfigException;
import io.sluice.RecoveryLayer;
import io.sluice.SluiceException;
import io.sluice.SourceException;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.sink.CommitLostException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.state.StateException;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, runs and stops one app. Start-up order (each step fails with an error naming the setting
 * or resource before any thread of the app runs):
 *
 * <pre>
 *  connect (admin + binary) ─▶ open state store (damaged/missing → durable-cursor layer)
 *   ─▶ recover sinks: commit the newest checkpoint's committables, abort other pending handles
 *   ─▶ resolve partitions, open decoders (e.g. fetch registry schemas)
 *   ─▶ plan start positions (checkpoint → durable cursor → start position)
 *   ─▶ start slot groups ─▶ subscribe durable cursors + start readers
 *   ─▶ schedule checkpoints and discovery
 * </pre>
 */
public final class AppRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(AppRuntime.class);
  private static final byte[] AUTO_NAMESPACE =
      "\0auto\0".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final AppSettings settings;
  private final JobGraph graph;
  private final MeterRegistry meters;
  private final FailureLatch failure;
  private final AtomicInteger layerGauge = new AtomicInteger(-1);
  private PulsarAdmin admin;
  private PulsarClient client;
  private StateStore store;
  private SourceManager sources;
  private CheckpointCoordinator coordinator;
  private java.util.concurrent.ExecutorService commitThread;
  // Slot groups: replaced only by a regroup, which runs on the checkpoint thread while the
  // fetchers are paused; read by the fetchers' router, the ticker and slotGroupAssignment().
  private final List<ProcessingGroup> groups = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<String> groupNames = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<String, String> groupOfTopic = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, Double> groupLoad = new java.util.concurrent.ConcurrentHashMap<>();
  private Set<String> hotTopics = Set.of();
  private long nextRegroupNanos;
  private Counter regroups;
  private final Map<String, Committer> committers = new LinkedHashMap<>();
  private ScheduledExecutorService checkpointThread;
  private boolean stopCalled;
  private ScheduledExecutorService discoveryThread;
  private ScheduledExecutorService tickerThread;
  private RecoveryLayer recoveryLayer;

  public AppRuntime(AppSettings settings, JobGraph graph, FailureLatch failure) {
    this.settings = settings;
    this.graph = graph;
    this.meters = settings.meterRegistry();
    this.failure = failure;
    Gauge.builder("sluice.recovery.layer", layerGauge, AtomicInteger::get)
        .description("0 = checkpoint, 1 = durable cursor, 2 = start position")
        .tag("app", settings.name())
        .register(meters);
  }

  public RecoveryLayer recoveryLayer() {
    return recoveryLayer;
  }

  public long lastCompletedCheckpoint() {
    return coordinator == null ? 0 : coordinator.lastCompletedId();
  }

  public long lastCompletedCheckpointAtMillis() {
    return coordinator == null ? 0 : coordinator.lastCompletedAtMillis();
  }

  public Set<String> partitions() {
    return sources == null ? Set.of() : sources.partitionNames();
  }

  /** Runs the start-up sequence; on any error releases what was started and rethrows. */
  public void start() {
    graph.freeze();
    if (graph.sources().isEmpty()) {
      throw new ConfigException(
          "The app " + settings.name() + " has no source: call stream(...) before start()");
    }
    try {
      connect();
      openStore();
      Optional<CheckpointRecord> checkpoint = latestCheckpoint();
      createCommitters();
      recoverSinks(checkpoint);
      Map<String, MessageId> restored = MessageIds.positionsOf(checkpoint.orElse(null));
      sources =
          new SourceManager(
              settings.name(),
              client,
              admin,
              graph.sources(),
              this::groupOf,
              settings.receiverQueueSize(),
              settings.entryReads(),
              meters,
              failure::fail,
              Threads.named(settings.threadFactory(), settings.name(), "fetch"));
      Map<String, SourceBinding> assignment = sources.resolvePartitions();
      AdminDecoderContext.openAll(settings.name(), admin, graph.sources(), assignment);
      Map<String, PartitionStart> plan = sources.planStarts(assignment, restored);
      reportRecovery(checkpoint, plan);
      planAutomaticGroups(assignment.keySet());
      createGroups(restored);
      sources.startAll(assignment, plan);
      commitThread =
          Executors.newSingleThreadExecutor(
              Threads.named(settings.threadFactory(), settings.name(), "commit"));
      coordinator =
          new CheckpointCoordinator(
              settings.name(),
              store,
              groups,
              committers,
              sources,
              settings.checkpointTimeout(),
              settings.retainedCheckpoints(),
              settings.maxConsecutiveCheckpointFailures(),
              checkpoint.map(CheckpointRecord::id).orElse(0L),
              meters,
              failure::fail,
              commitThread);
      checkpointThread =
          Executors.newSingleThreadScheduledExecutor(
              Threads.named(settings.threadFactory(), settings.name(), "checkpoint"));
      long interval = settings.checkpointInterval().toMillis();
      checkpointThread.scheduleWithFixedDelay(
          this::checkpointSafely, interval, interval, TimeUnit.MILLISECONDS);
      tickerThread =
          Executors.newSingleThreadScheduledExecutor(
              Threads.named(settings.threadFactory(), settings.name(), "ticker"));
      tickerThread.scheduleAtFixedRate(
          () -> groups.forEach(ProcessingGroup::tick), 100, 100, TimeUnit.MILLISECONDS);
      if (!settings.discoveryInterval().isZero()) {
        discoveryThread =
            Executors.newSingleThreadScheduledExecutor(
                Threads.named(settings.threadFactory(), settings.name(), "discovery"));
        long every = settings.discoveryInterval().toMillis();
        discoveryThread.scheduleWithFixedDelay(
            sources::discover, every, every, TimeUnit.MILLISECONDS);
      }
      LOG.info(
          "[{}] running: {} partitions, recovery layer {}, checkpoint every {} ms, slot groups {}",
          settings.name(),
          assignment.size(),
          recoveryLayer,
          interval,
          slotGroupAssignment());
    } catch (RuntimeException e) {
      stop(Duration.ofSeconds(10), false);
      throw e;
    }
  }

  /**
   * Declared groups first; with automatic groups, the other topics are planned from the byte rate
   * the broker measured for them (one admin call per topic). Their keyed state is scoped by topic,
   * so any plan finds it.
   */
  private void planAutomaticGroups(Set<String> partitions) {
    groupOfTopic.putAll(settings.slotGroupOfTopic());
    if (settings.autoSlotGroupShared() < 1) {
      return;
    }
    regroups =
        Counter.builder("sluice.slotgroup.regroups")
            .description("times the automatic slot groups were re-planned while running")
            .tag("app", settings.name())
            .register(meters);
    Map<String, Double> rates = measureRates(autoTopics(partitions));
    hotTopics =
        SlotGroupPlanner.hotTopics(rates, settings.autoSlotGroupHotBytesPerSecond(), Set.of());
    applyPlan(SlotGroupPlanner.plan(rates, hotTopics, settings.autoSlotGroupShared()));
    // the first re-measurement comes one interval after this plan, not at the first checkpoint
    nextRegroupNanos = System.nanoTime() + settings.regroupInterval().toNanos();
  }

  /**
   * Base topics of {@code partitions} that are not in a declared group, each with whether it is
   * partitioned (known from the partition names, so measuring needs no metadata call).
   */
  private Map<String, Boolean> autoTopics(Set<String> partitions) {
    Map<String, Boolean> topics = new java.util.TreeMap<>();
    for (String partition : partitions) {
      String base = PartitionRef.baseOf(partition);
      if (!settings.slotGroupOfTopic().containsKey(base)) {
        topics.put(base, PartitionRef.partitionIndexOf(partition) >= 0);
      }
    }
    return topics;
  }

  /** The broker's measured byte rate of each topic (0 when it cannot be read). */
  private Map<String, Double> measureRates(Map<String, Boolean> topics) {
    Map<String, Double> rates = new HashMap<>();
    for (Map.Entry<String, Boolean> topic : topics.entrySet()) {
      String base = topic.getKey();
      boolean partitioned = topic.getValue();
      try {
        rates.put(
            base,
            partitioned
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

  private void applyPlan(List<SlotGroupPlanner.Planned> plan) {
    for (SlotGroupPlanner.Planned g : plan) {
      g.topics().forEach(t -> groupOfTopic.put(t, g.name()));
      if (groupLoad.put(g.name(), g.bytesPerSecond()) == null) {
        Gauge.builder(
                "sluice.slotgroup.load.bytes.per.s", groupLoad, m -> m.getOrDefault(g.name(), 0.0))
            .description("byte rate of the group's topics at the last measurement")
            .tag("app", settings.name())
            .tag("group", g.name())
            .register(meters);
        Gauge.builder(
                "sluice.slotgroup.topics",
                groupOfTopic,
                m -> m.values().stream().filter(g.name()::equals).count())
            .description("topics the automatic plan assigns to the group now")
            .tag("app", settings.name())
            .tag("group", g.name())
            .register(meters);
      }
      LOG.info(
          "[{}] slot group {} (automatic): {} topics, {} B/s measured: {}",
          settings.name(),
          g.name(),
          g.topics().size(),
          Math.round(g.bytesPerSecond()),
          g.topics());
    }
  }

  /**
   * Runs on the checkpoint thread after a checkpoint: every regroup interval, measures the rates
   * again; when the set of hot topics changed, re-plans the groups at a checkpoint boundary.
   */
  private void maybeRegroup() {
    if (settings.autoSlotGroupShared() < 1
        || settings.regroupInterval().isZero()
        || failure.failed()) {
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
      Map<String, Double> load = new HashMap<>();
      rates.forEach((t, r) -> load.merge(groupOfTopic.getOrDefault(t, "default"), r, Double::sum));
      groupLoad.replaceAll((group, old) -> load.getOrDefault(group, 0.0));
      return;
    }
    List<SlotGroupPlanner.Planned> plan =
        SlotGroupPlanner.plan(rates, hot, settings.autoSlotGroupShared());
    if (sources.paused(() -> regroup(plan))) {
      LOG.info(
          "[{}] hot topics changed from {} to {}: regrouped, slot groups now {}",
          settings.name(),
          hotTopics,
          hot,
          slotGroupAssignment());
      hotTopics = hot;
    }
  }

  /**
   * With the fetchers paused: one checkpoint completes (everything published so far is processed,
   * prepared, recorded and committed), the groups stop, and new groups start from that checkpoint's
   * positions. Returns false (groups unchanged) if the checkpoint failed.
   */
  private boolean regroup(List<SlotGroupPlanner.Planned> plan) {
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
    for (ProcessingGroup g : groups) {
      if (!g.stop(settings.checkpointTimeout())) {
        throw new SluiceException(
            "Slot group "
                + groupNames.get(g.index())
                + " did not stop within "
                + settings.checkpointTimeout()
                + " while regrouping; the app stops and resumes from checkpoint "
                + checkpoint.id()
                + " on restart");
      }
      g.removeGauges(meters);
    }
    groups.clear();
    groupNames.clear();
    groupOfTopic.keySet().removeIf(t -> !settings.slotGroupOfTopic().containsKey(t));
    applyPlan(plan);
    groupLoad.keySet().retainAll(groupOfTopic.values());
    createGroups(MessageIds.positionsOf(checkpoint));
    sources.reroute();
    regroups.increment();
    return true;
  }

  /** One slot group per declared name plus {@code default}; each has its own ring and thread. */
  private void createGroups(Map<String, MessageId> restored) {
    List<String> names = new ArrayList<>();
    names.add("default");
    groupOfTopic.values().stream().distinct().sorted().forEach(names::add);
    for (String name : names) {
      int index = groups.size();
      // Automatic groups (and default, which holds the topics discovered since the plan) share one
      // namespace and scope state by topic, so a topic keeps its state when it changes group.
      boolean topicScoped =
          settings.autoSlotGroupShared() > 0 && !settings.slotGroupOfTopic().containsValue(name);
      byte[] namespace =
          topicScoped
              ? AUTO_NAMESPACE
              : index == 0
                  ? new byte[0]
                  : ("\0group:" + name + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ProcessingGroup group =
          new ProcessingGroup(
              index,
              settings.name(),
              settings.ringSize(),
              settings.waitStrategy(),
              settings.checkpointTimeout(),
              name,
              topicScoped,
              Threads.named(settings.threadFactory(), settings.name(), "process-" + name),
              new KeyedStateBackend(store, namespace),
              (sink, i) -> context(sink, i),
              meters,
              failure::fail);
      groups.add(group);
      groupNames.add(name);
      group.compile(graph);
      // Only the reading group's copy of a position advances; a stale copy in another group
      // would reach the checkpoint and hold the partition's durable cursor back.
      Map<String, MessageId> own = new HashMap<>();
      restored.forEach(
          (partition, id) -> {
            if (groupNameOf(partition).equals(name)) {
              own.put(partition, id);
            }
          });
      group.restorePositions(own);
      group.start();
    }
  }

  private ProcessingGroup groupOf(String partitionTopic) {
    return groups.get(groupNames.indexOf(groupNameOf(partitionTopic)));
  }

  private String groupNameOf(String partitionTopic) {
    return groupOfTopic.getOrDefault(PartitionRef.baseOf(partitionTopic), "default");
  }

  /** Which slot group reads each partition, for logs and tests. */
  public Map<String, List<String>> slotGroupAssignment() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    groupNames.forEach(n -> out.put(n, new ArrayList<>()));
    if (sources != null) {
      // from each partition's own group reference: consistent even while a regroup runs
      sources
          .groupNameOfPartition()
          .forEach((p, g) -> out.computeIfAbsent(g, n -> new ArrayList<>()).add(p));
    }
    out.values().forEach(java.util.Collections::sort);
    return out;
  }

  private void checkpointSafely() {
    if (failure.failed()) {
      return;
    }
    try {
      coordinator.checkpoint();
      maybeRegroup();
    } catch (RuntimeException e) {
      failure.fail(e);
    }
  }

  @SuppressWarnings("deprecation") // statsInterval: deprecated for OpenTelemetry, still honoured
  private void connect() {
    URI service = URI.create(settings.serviceUrl());
    int port = service.getPort() > 0 ? service.getPort() : 6650;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(service.getHost(), port), 5000);
    } catch (IOException e) {
      throw new ConfigException(
          "Cannot connect to Pulsar at "
              + settings.serviceUrl()
              + " ("
              + e.getMessage()
              + "). Check sluice.pulsar.serviceUrl and that the broker is running.",
          e);
    }
    try {
      admin =
          PulsarAdmin.builder()
              .serviceHttpUrl(settings.adminUrl())
              .connectionTimeout(5, TimeUnit.SECONDS)
              .readTimeout(30, TimeUnit.SECONDS)
              .build();
      admin.clusters().getClusters();
    } catch (Exception e) {
      throw new ConfigException(
          "Cannot reach the Pulsar admin API at "
              + settings.adminUrl()
              + " ("
              + e.getMessage()
              + "). Check sluice.pulsar.adminUrl and that the broker is running.",
          e);
    }
    try {
      client =
          PulsarClient.builder()
              .serviceUrl(settings.serviceUrl())
              .listenerThreads(Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())))
              .ioThreads(1)
              // the client's own statistics (counted per message on the fetcher threads, logged
              // every minute) duplicate Sluice's metrics; switched off, they cost nothing
              .statsInterval(0, TimeUnit.SECONDS)
              .connectionTimeout(10, TimeUnit.SECONDS)
              .operationTimeout(30, TimeUnit.SECONDS)
              .build();
    } catch (PulsarClientException e) {
      throw new ConfigException(
          "Invalid sluice.pulsar.serviceUrl " + settings.serviceUrl() + ": " + e.getMessage(), e);
    }
  }

  private void openStore() {
    Path dir = settings.stateDir().resolve("rocksdb");
    try {
      store = StateStore.open(dir);
    } catch (StateException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
      Path aside = quarantine(dir, e);
      LOG.warn(
          "[{}] the state store in {} cannot be opened ({}); moved it to {} and recovering from"
              + " the durable cursors. Output since the cursors' last advance may repeat.",
          settings.name(),
          dir,
          e.getMessage(),
          aside);
      store = StateStore.open(dir);
    }
  }

  private Optional<CheckpointRecord> latestCheckpoint() {
    try {
      return store.latestCheckpoint();
    } catch (StateException e) {
      Path dir = store.dir();
      store.close();
      Path aside = quarantine(dir, e);
      LOG.warn(
          "[{}] {}; moved the state store to {} and recovering from the durable cursors",
          settings.name(),
          e.getMessage(),
          aside);
      store = StateStore.open(dir);
      return Optional.empty();
    }
  }

  private Path quarantine(Path dir, StateException cause) {
    Counter.builder("sluice.recovery.fallbacks")
        .description("start-ups whose local checkpoint was damaged or missing")
        .tag("app", settings.name())
        .tag("reason", "damaged")
        .register(meters)
        .increment();
    Path aside = dir.resolveSibling(dir.getFileName() + ".damaged-" + System.currentTimeMillis());
    try {
      Files.move(dir, aside);
      return aside;
    } catch (IOException e) {
      SluiceException error =
          new StateException(
              "The state store in "
                  + dir
                  + " is damaged and cannot be moved aside ("
                  + e.getMessage()
                  + "); delete it to recover from the durable cursors",
              cause);
      error.addSuppressed(e);
      throw error;
    }
  }

  private void createCommitters() {
    for (Map.Entry<String, Sink<?>> e : graph.sinks().entrySet()) {
      committers.put(e.getKey(), e.getValue().createCommitter(context(e.getValue(), 0)));
    }
  }

  private SinkContextImpl context(Sink<?> sink, int index) {
    return new SinkContextImpl(
        settings.name(),
        sink.name(),
        index,
        settings.serviceUrl(),
        settings.adminUrl(),
        meters,
        store,
        settings.badSinkRecordPolicy());
  }

  /**
   * Commits the newest checkpoint's committables again (commit is idempotent) and aborts every
   * other handle a writer registered before the crash: output prepared after the checkpoint.
   */
  private void recoverSinks(Optional<CheckpointRecord> checkpoint) {
    int aborted =
        SinkRecovery.recover(
            checkpoint.orElse(null), committers, store, settings.stateDir(), this::retrying);
    if (checkpoint.isPresent() || aborted > 0) {
      LOG.info(
          "[{}] recovered sinks: re-committed {} committables of checkpoint {}, aborted {}"
              + " uncommitted",
          settings.name(),
          checkpoint.map(c -> c.committables().size()).orElse(0),
          checkpoint.map(CheckpointRecord::id).orElse(0L),
          aborted);
    }
  }

  /** Recovery commits/aborts ride out a short outage of the sink's server (up to ~60 s). */
  private void retrying(String what, Runnable action) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    RuntimeException failure =
        Backoff.retry(
            action,
            (e, backoff) -> {
              if (System.nanoTime() > deadline || e instanceof CommitLostException) {
                return false;
              }
              LOG.warn(
                  "[{}] recovery: {} failed, retrying in {} ms: {}",
                  settings.name(),
                  what,
                  backoff,
                  e.toString());
              return true;
            });
    if (failure instanceof CommitLostException lost) {
      throw new CheckpointException(
          "Recovery: "
              + what
              + " failed: "
              + lost.getMessage()
              + " "
              + CheckpointCoordinator.LOST_COMMIT_REMEDY,
          lost);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void reportRecovery(
      Optional<CheckpointRecord> checkpoint, Map<String, PartitionStart> plan) {
    Map<RecoveryLayer, Integer> counts = new HashMap<>();
    plan.values().forEach(s -> counts.merge(s.layer(), 1, Integer::sum));
    if (checkpoint.isPresent()) {
      recoveryLayer = RecoveryLayer.CHECKPOINT;
    } else if (counts.getOrDefault(RecoveryLayer.DURABLE_CURSOR, 0) > 0) {
      recoveryLayer = RecoveryLayer.DURABLE_CURSOR;
      Counter.builder("sluice.recovery.fallbacks")
          .tag("app", settings.name())
          .tag("reason", "no-checkpoint")
          .register(meters)
          .increment();
      LOG.warn(
          "[{}] no local checkpoint in {}: {} partitions resume from the durable cursor of their"
              + " subscription; output since the cursor's last advance may repeat",
          settings.name(),
          settings.stateDir(),
          counts.get(RecoveryLayer.DURABLE_CURSOR));
    } else {
      recoveryLayer = RecoveryLayer.START_POSITION;
    }
    layerGauge.set(recoveryLayer.ordinal());
    for (Map.Entry<RecoveryLayer, Integer> e : counts.entrySet()) {
      Gauge.builder("sluice.recovery.partitions", e::getValue)
          .tag("app", settings.name())
          .tag("layer", e.getKey().name())
          .register(meters);
    }
    LOG.info(
        "[{}] recovery: layer {}, partitions per layer {}", settings.name(), recoveryLayer, counts);
  }

  /**
   * Stops everything. With {@code finalCheckpoint}, readers stop first and one last checkpoint
   * records everything processed. Returns whether every thread stopped in time.
   */
  public boolean stop(Duration timeout, boolean finalCheckpoint) {
    synchronized (this) {
      if (stopCalled) {
        return true; // stopped already (e.g. by a failed start)
      }
      stopCalled = true;
    }
    boolean clean = true;
    // whether no checkpoint can complete and no commit runs any more (see abortUnrecorded)
    boolean checkpointsEnded = checkpointThread == null;
    boolean commitsEnded = commitThread == null;
    if (discoveryThread != null) {
      discoveryThread.shutdownNow();
    }
    if (tickerThread != null) {
      tickerThread.shutdownNow();
    }
    if (sources != null) {
      sources.closeReaders();
    }
    if (checkpointThread != null) {
      checkpointThread.shutdown();
      boolean idle = false;
      try {
        idle = checkpointThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      clean &= idle;
      checkpointsEnded = idle;
      // Not while a checkpoint still runs on the checkpoint thread: one checkpoint at a time.
      if (finalCheckpoint && idle && coordinator != null && !failure.failed()) {
        try {
          coordinator.checkpoint();
        } catch (RuntimeException e) {
          LOG.warn("[{}] final checkpoint failed: {}", settings.name(), e.toString());
        }
      }
    }
    if (coordinator != null) {
      if (!failure.failed() && !coordinator.awaitCommits(timeout)) {
        LOG.warn(
            "[{}] commits still running after {}; they are committed again on restart",
            settings.name(),
            timeout);
        clean = false;
      }
      coordinator.stop();
    }
    if (commitThread != null) {
      // Retries end once stopping; the store and the committers close only after this.
      commitThread.shutdown();
      try {
        commitsEnded = commitThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        clean &= commitsEnded;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (ProcessingGroup g : groups) {
      clean &= g.stop(timeout);
    }
    if (checkpointsEnded && commitsEnded) {
      abortUnrecorded(timeout);
    } else {
      LOG.warn(
          "[{}] a checkpoint or commit was still running at stop; output prepared for checkpoints"
              + " that did not complete is aborted on the next start",
          settings.name());
    }
    if (sources != null) {
      sources.closeCursors();
    }
    for (Committer c : committers.values()) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("[{}] closing a committer failed: {}", settings.name(), e.toString());
      }
    }
    if (client != null) {
      try {
        client.close();
      } catch (PulsarClientException e) {
        LOG.warn("[{}] closing the Pulsar client: {}", settings.name(), e.toString());
      }
    }
    if (admin != null) {
      admin.close();
    }
    if (store != null) {
      store.close();
      store = null;
    }
    removeGauges();
    return clean;
  }

  /**
   * Aborts output prepared for checkpoints that never completed ({@link SinkRecovery#unrecorded})
   * now rather than on the next start, so it does not hold readers back (an open Pulsar
   * transaction) or keep staged data meanwhile. The handles stay listed: the next start aborts them
   * again (aborts are idempotent), which also ends anything a writer that did not stop in time
   * creates afterwards. One try per handle, each sink on its own thread (one sink's server being
   * down, which may be why the app stops, must not keep another's output open), all waited for up
   * to {@code timeout} together.
   */
  private void abortUnrecorded(Duration timeout) {
    StateStore s = store;
    if (s == null || committers.isEmpty()) {
      return;
    }
    Map<String, List<Committable>> bySink = new java.util.TreeMap<>();
    try {
      for (StateStore.PendingHandle h :
          SinkRecovery.unrecorded(s.latestCheckpoint().orElse(null), committers, s.pending())) {
        bySink.computeIfAbsent(h.sink(), k -> new ArrayList<>()).add(Committable.of(h.handle()));
      }
    } catch (StateException e) {
      LOG.warn(
          "[{}] cannot list output of checkpoints that did not complete ({}); the next start"
              + " aborts it",
          settings.name(),
          e.getMessage());
      return;
    }
    List<Thread> aborters = new ArrayList<>();
    for (Map.Entry<String, List<Committable>> e : bySink.entrySet()) {
      Committer committer = committers.get(e.getKey());
      Thread t =
          Threads.named(settings.threadFactory(), settings.name(), "abort-" + e.getKey())
              .newThread(() -> abortAll(e.getKey(), committer, e.getValue()));
      t.setDaemon(true);
      t.start();
      aborters.add(t);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : aborters) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (t.isAlive()) {
        LOG.warn(
            "[{}] {} still aborting after {}; the next start aborts what is left",
            settings.name(),
            t.getName(),
            timeout);
      }
    }
  }

  private void abortAll(String sink, Committer committer, List<Committable> handles) {
    int aborted = 0;
    RuntimeException failure = null;
    for (Committable handle : handles) {
      try {
        committer.abort(handle);
        aborted++;
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    if (failure != null) {
      LOG.warn(
          "[{}] sink {}: aborted {} of {} outputs of checkpoints that did not complete; the next"
              + " start aborts the rest (last error: {})",
          settings.name(),
          sink,
          aborted,
          handles.size(),
          failure.toString());
    } else {
      LOG.info(
          "[{}] sink {}: aborted {} outputs of checkpoints that did not complete",
          settings.name(),
          sink,
          aborted);
    }
  }

  /**
   * Gauges read live objects of this run (the store, rings, partitions). Micrometer hands an app
   * started again under the same name the gauge already registered, still bound to the stopped
   * run's objects, so they go when the run stops; counters and timers stay (they accumulate).
   */
  private void removeGauges() {
    for (io.micrometer.core.instrument.Meter m : List.copyOf(meters.getMeters())) {
      if (m instanceof Gauge && settings.name().equals(m.getId().getTag("app"))) {
        meters.remove(m);
      }
    }
  }

  /** For errors on start-up that must name the source. */
  static SourceException sourceError(String message, Throwable cause) {
    return new SourceException(message, cause);
  }
}
