package io.sluice.internal.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.internal.AppSettings;
import io.sluice.internal.FailureLatch;
import io.sluice.internal.Partitions;
import io.sluice.internal.Threads;
import io.sluice.internal.checkpoint.Changelog;
import io.sluice.internal.checkpoint.CheckpointCoordinator;
import io.sluice.internal.checkpoint.DurableCursors;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.internal.checkpoint.Recovery;
import io.sluice.internal.checkpoint.SinkContextImpl;
import io.sluice.internal.checkpoint.SinkRecovery;
import io.sluice.internal.checkpoint.StartPlanner;
import io.sluice.internal.checkpoint.StateDirLock;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.internal.group.SlotGroups;
import io.sluice.internal.source.AdminDecoderContext;
import io.sluice.internal.source.SourceManager;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.state.RecoveryLayer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, runs and stops one app. Start-up order (each step fails with an error naming the setting
 * or resource before any thread of the app runs):
 *
 * <pre>
 *  connect (admin + binary) ─▶ {@link Recovery}: state store, newest checkpoint, sinks re-committed
 *   and aborted, partitions resolved and decoders opened, starts planned, layer reported
 *   ─▶ plan automatic slot groups ─▶ start slot groups ─▶ durable cursors + readers
 *   ─▶ schedule checkpoints, the ticker and discovery
 * </pre>
 *
 * <p>Threads: the checkpoint thread runs checkpoints and regrouping; the commit thread commits
 * sinks and advances durable cursors; the ticker moves watermarks; the discovery thread finds new
 * partitions; each slot group has its processing thread and each partition its fetcher.
 */
public final class AppRuntime implements AppRun {
  private static final Logger LOG = LoggerFactory.getLogger(AppRuntime.class);

  private final AppSettings settings;
  private final JobGraph graph;
  private final MeterRegistry meters;
  private final FailureLatch failure;
  private PulsarConnections pulsar;
  private StateStore store;
  private StateDirLock stateDirLock;
  private Changelog changelog;
  private SlotGroups groups;
  private Regrouper regrouper;
  private DurableCursors cursors;
  private SourceManager sources;

  /** The readers closing since the app began to stop (waited for before the client closes). */
  private CompletableFuture<Void> readersClosing;

  private CheckpointCoordinator coordinator;
  private ExecutorService commitThread;
  private final Map<String, Committer> committers = new LinkedHashMap<>();
  private ScheduledExecutorService checkpointThread;
  private ScheduledExecutorService discoveryThread;
  private ScheduledExecutorService tickerThread;
  private RecoveryLayer recoveryLayer;
  private boolean stopCalled;
  private Lease lease;
  private volatile boolean startCancelled;

  /**
   * The changelog read and the state directory opened while the lease settled, until the start
   * takes them.
   */
  private TakeOverPreparation prepared;

  /** The shard this instance reads (-1: every partition), its unit name and state directory. */
  private final int shard;

  private final String unit;
  private final Path stateDir;

  /** Whether the connections and the lease were handed in by a {@link ShardedRuntime}. */
  private final boolean shardOfReplica;

  AppRuntime(AppSettings settings, JobGraph graph, FailureLatch failure) {
    this.settings = settings;
    this.graph = graph;
    this.meters = settings.meterRegistry();
    this.failure = failure;
    this.shard = -1;
    this.unit = settings.name();
    this.stateDir = settings.stateDir();
    this.shardOfReplica = false;
  }

  /**
   * The runtime of one shard that a replica holds: {@code held} names its lease (held already),
   * state directory and the changelog read while the lease settled; the connections are the
   * replica's, shared by its shards, and stay open when this one stops.
   */
  AppRuntime(AppSettings settings, JobGraph graph, FailureLatch failure, HeldShard held) {
    this.settings = settings;
    this.graph = graph;
    this.meters = settings.meterRegistry();
    this.failure = failure;
    this.shard = held.shard();
    this.unit = held.lease().unit();
    this.stateDir = held.stateDir();
    this.pulsar = held.pulsar();
    this.lease = held.lease();
    this.prepared = held.prepared();
    this.shardOfReplica = true;
  }

  @Override
  public RecoveryLayer recoveryLayer() {
    return recoveryLayer;
  }

  @Override
  public long lastCompletedCheckpoint() {
    return coordinator == null ? 0 : coordinator.lastCompletedId();
  }

  @Override
  public long lastCompletedCheckpointAtMillis() {
    return coordinator == null ? 0 : coordinator.lastCompletedAtMillis();
  }

  @Override
  public Set<String> partitions() {
    return sources == null ? Set.of() : sources.partitionNames();
  }

  @Override
  public Map<String, List<String>> slotGroupAssignment() {
    if (groups == null) {
      return Map.of();
    }
    return groups.assignment(sources == null ? Map.of() : sources.groupNameOfPartition());
  }

  @Override
  public void cancelStart() {
    startCancelled = true;
  }

  /** Runs the start-up sequence; on any error releases what was started and rethrows. */
  @Override
  public void start() {
    graph.freezeForStart();
    try {
      String app = settings.name();
      if (!shardOfReplica) {
        pulsar = PulsarConnections.open(settings);
        RepartitionTopics.create(pulsar.admin(), graph.repartitionTopics(), settings.shards());
        if (settings.replicated()) {
          takeLease();
        }
      }
      StartPlanner planner = new StartPlanner(app, pulsar.client(), pulsar.admin(), meters);
      cursors =
          new DurableCursors(app, pulsar.client(), meters, failure::fail, settings.replicated());
      sources =
          new SourceManager(
              app,
              pulsar.client(),
              pulsar.admin(),
              graph.sources(),
              this::owned,
              partition -> groups.groupOf(partition),
              planner,
              cursors,
              settings.receiverQueueSize(),
              settings.fetcherThreads(),
              settings.entryReads(),
              meters,
              settings.partitionMeters(),
              failure::fail,
              Threads.named(settings.threadFactory(), app, "fetch"));
      Map<String, SourceBinding> assignment = new LinkedHashMap<>();
      if (settings.stateChangelog()) {
        changelog =
            Changelog.open(
                unit,
                changelogNamespace(),
                pulsar.client(),
                pulsar.admin(),
                settings.replicated(),
                prepared != null ? prepared.takeReadAhead() : null);
      }
      Recovery.OpenedStore opened =
          prepared != null ? prepared.takeStore() : Recovery.open(unit, stateDir, meters);
      prepared = null;
      Recovery.Result recovered =
          new Recovery(unit, stateDir, meters, true, changelog, settings.replicated())
              .run(
                  opened,
                  this::createCommitters,
                  checkpointed -> {
                    assignment.putAll(sources.resolvePartitions());
                    AdminDecoderContext.openAll(app, pulsar.admin(), graph.sources(), assignment);
                    return planner.planStarts(assignment, checkpointed);
                  });
      store = recovered.store();
      stateDirLock = recovered.lock();
      recoveryLayer = recovered.layer();
      startPipeline(assignment, recovered);
      LOG.info(
          "[{}] running: {} partitions, recovery layer {}, checkpoint every {}, slot groups {}",
          app,
          assignment.size(),
          recoveryLayer,
          settings.checkpointInterval(),
          slotGroupAssignment());
    } catch (RuntimeException e) {
      if (prepared != null) {
        prepared.close();
        prepared = null;
      }
      stop(Duration.ofSeconds(10), false);
      throw e;
    }
  }

  /**
   * Waits until this replica holds the app's lease (an unsharded app; a sharded one runs as a
   * {@link ShardedRuntime}); from then on the changelog, state directory and sink output are this
   * instance's.
   */
  private void takeLease() {
    Lease joined =
        Lease.join(
            unit, settings.instanceName(), changelogNamespace(), pulsar.client(), pulsar.admin());
    if (!joined.await(Duration.ofSeconds(30), () -> startCancelled, this::prepare)) {
      joined.close();
      throw new StartCancelledException(
          "App "
              + settings.name()
              + " was closed while instance "
              + settings.instanceName()
              + " stood by");
    }
    lease = joined;
  }

  /**
   * Reads the app's changelog and opens its state directory while this replica's hold on its lease
   * settles, so that the take-over only reads what came since; dropped if the lease does not
   * settle.
   */
  private AutoCloseable prepare() {
    TakeOverPreparation preparation =
        TakeOverPreparation.start(settings, unit, changelogNamespace(), pulsar, stateDir, meters);
    prepared = preparation;
    return () -> {
      preparation.close();
      prepared = null;
    };
  }

  /** Whether this instance reads {@code partition}: all of them, unless the app is sharded. */
  private boolean owned(String partition) {
    return shard < 0 || Partitions.shardOf(partition, settings.shards()) == shard;
  }

  private void startPipeline(Map<String, SourceBinding> assignment, Recovery.Result recovered) {
    String app = settings.name();
    groups = new SlotGroups(settings, graph, store, this::context, failure::fail);
    regrouper = new Regrouper(settings, pulsar.admin(), groups, failure::failed);
    regrouper.planAtStart(assignment.keySet());
    groups.start(positionsStillRead(recovered.positions(), assignment.keySet()));
    Map<String, PartitionStart> starts = recovered.starts();
    sources.startAll(assignment, starts);
    commitThread =
        Executors.newSingleThreadExecutor(Threads.named(settings.threadFactory(), app, "commit"));
    coordinator =
        new CheckpointCoordinator(
            app,
            store,
            groups.groups(),
            committers,
            cursors,
            settings.checkpointTimeout(),
            settings.retainedCheckpoints(),
            settings.maxConsecutiveCheckpointFailures(),
            recovered.checkpoint().map(CheckpointRecord::id).orElse(0L),
            meters,
            failure::fail,
            commitThread,
            this::holdIntake,
            changelog);
    checkpointThread =
        Executors.newSingleThreadScheduledExecutor(
            Threads.named(settings.threadFactory(), app, "checkpoint"));
    long interval = settings.checkpointInterval().toMillis();
    checkpointThread.scheduleWithFixedDelay(
        this::checkpointSafely, interval, interval, TimeUnit.MILLISECONDS);
    tickerThread =
        Executors.newSingleThreadScheduledExecutor(
            Threads.named(settings.threadFactory(), app, "ticker"));
    tickerThread.scheduleAtFixedRate(groups::tick, 100, 100, TimeUnit.MILLISECONDS);
    if (!settings.discoveryInterval().isZero()) {
      discoveryThread =
          Executors.newSingleThreadScheduledExecutor(
              Threads.named(settings.threadFactory(), app, "discovery"));
      long every = settings.discoveryInterval().toMillis();
      discoveryThread.scheduleWithFixedDelay(
          sources::discover, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** The changelog lives beside the app's first source (a pattern's namespace, or its topic's). */
  private String changelogNamespace() {
    return graph.homeNamespace();
  }

  /** Holds the fetchers (so the rings drain and processing stops) while {@code waiting} runs. */
  private void holdIntake(Runnable waiting) {
    boolean held =
        sources.paused(
            () -> {
              waiting.run();
              return true;
            },
            settings.checkpointTimeout());
    if (!held) {
      waiting.run();
    }
  }

  /**
   * The checkpointed positions of partitions the app still reads: those of topics that are gone
   * (deleted; a pattern no longer matches) are dropped, so checkpoint records do not grow with
   * topic churn.
   */
  private Map<String, MessageId> positionsStillRead(
      Map<String, MessageId> positions, Set<String> partitions) {
    Map<String, MessageId> kept = new HashMap<>(positions);
    kept.keySet().retainAll(partitions);
    if (kept.size() < positions.size()) {
      LOG.info(
          "[{}] dropped the positions of {} partitions that no longer exist",
          settings.name(),
          positions.size() - kept.size());
    }
    return kept;
  }

  private Map<String, Committer> createCommitters(StateStore opened) {
    store = opened;
    for (Map.Entry<String, Sink<?>> e : graph.sinks().entrySet()) {
      committers.put(e.getKey(), e.getValue().createCommitter(context(e.getValue(), 0)));
    }
    return committers;
  }

  private SinkContextImpl context(Sink<?> sink, int index) {
    return new SinkContextImpl(
        unit,
        sink.name(),
        index,
        settings.serviceUrl(),
        settings.adminUrl(),
        settings.pulsarSecurity(),
        meters,
        store,
        settings.badSinkRecordPolicy(),
        settings.replicated(),
        settings.commitBound());
  }

  private void checkpointSafely() {
    if (failure.failed()) {
      return;
    }
    try {
      coordinator.checkpoint();
      regrouper.maybeRegroup(coordinator, sources, store);
    } catch (RuntimeException e) {
      failure.fail(e);
    }
  }

  /**
   * Stops everything. With {@code finalCheckpoint}, readers stop first and one last checkpoint
   * records everything processed. Returns whether every thread stopped in time.
   */
  @Override
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
    shutdownNow(discoveryThread);
    shutdownNow(tickerThread);
    if (cursors != null) {
      cursors.stopping();
    }
    if (sources != null) {
      readersClosing = sources.closeReaders();
    }
    if (checkpointThread != null) {
      checkpointThread.shutdown();
      boolean idle = awaitTermination(checkpointThread, timeout);
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
      commitsEnded = awaitTermination(commitThread, timeout);
      clean &= commitsEnded;
    }
    if (groups != null) {
      clean &= groups.stop(timeout);
    }
    if (checkpointsEnded && commitsEnded) {
      SinkRecovery.abortUnrecorded(
          settings.name(),
          store,
          committers,
          role -> Threads.named(settings.threadFactory(), settings.name(), role),
          timeout);
    } else {
      LOG.warn(
          "[{}] a checkpoint or commit was still running at stop; output prepared for checkpoints"
              + " that did not complete is aborted on the next start",
          settings.name());
    }
    close();
    return clean;
  }

  private static void shutdownNow(ExecutorService executor) {
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  private static boolean awaitTermination(ExecutorService executor, Duration timeout) {
    try {
      return executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Releases readers, cursors, committers, clients and the store, in that order. */
  private void close() {
    if (readersClosing != null) {
      sources.awaitReadersClosed(readersClosing);
    }
    if (cursors != null) {
      cursors.close();
    }
    if (changelog != null) {
      changelog.close();
    }
    if (lease != null) {
      lease.close(); // the next replica becomes active once the changelog is released
    }
    for (Committer c : committers.values()) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("[{}] closing a committer failed: {}", settings.name(), e.toString());
      }
    }
    if (pulsar != null && !shardOfReplica) {
      try {
        pulsar.client().close();
      } catch (PulsarClientException e) {
        LOG.warn("[{}] closing the Pulsar client: {}", settings.name(), e.toString());
      }
      pulsar.admin().close();
    }
    if (store != null) {
      store.close();
      store = null;
    }
    if (stateDirLock != null) {
      stateDirLock.close(); // only once the store is closed: then another instance may open it
    }
    removeGauges(meters, settings.name());
  }

  /**
   * Gauges read live objects of this run (the store, rings, partitions). Micrometer hands an app
   * started again under the same name the gauge already registered, still bound to the stopped
   * run's objects, so they go when the run stops; counters and timers stay (they accumulate). A
   * shard's registry holds only its own meters (tagged with the shard) and passes the removal on to
   * the app's.
   */
  static void removeGauges(MeterRegistry meters, String app) {
    for (Meter m : List.copyOf(meters.getMeters())) {
      if (m instanceof Gauge && app.equals(m.getId().getTag("app"))) {
        meters.remove(m);
      }
    }
  }
}
