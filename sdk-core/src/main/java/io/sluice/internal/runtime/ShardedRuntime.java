package io.sluice.internal.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.sluice.internal.AppSettings;
import io.sluice.internal.FailureLatch;
import io.sluice.internal.Threads;
import io.sluice.internal.graph.JobGraph;
import io.sluice.state.RecoveryLayer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of a sharded app: it stands by on every shard's lease and runs an {@link AppRuntime}
 * for each shard it holds, so any number of replicas, fewer than the shards included, read every
 * partition. The broker decides every hand-over; there is no coordinator of Sluice's own:
 *
 * <ul>
 *   <li><b>Which replica takes a free shard.</b> A replica stands by at priority 1 + (the shards it
 *       holds), and the broker makes a standby of the lowest number active, so the least loaded
 *       replicas take free shards (among equals the broker's hash of the names picks).
 *   <li><b>Scale-out.</b> Every {@link #BALANCE_EVERY} a replica reads the leases' stats ({@link
 *       ShardWatch}): the replicas are the consumer names on them. One that holds more than its
 *       share, ⌈shards / replicas⌉, hands one shard back while another replica stands by on it: it
 *       stops that shard with a final checkpoint and leaves its lease, and the broker makes the
 *       least loaded standby active, which takes the shard over as after a crash. Without readable
 *       stats a replica keeps what it holds.
 *   <li><b>Safety</b> does not rest on any of this: a former holder is fenced by the shard's
 *       changelog ({@code docs/replicas.md}).
 * </ul>
 *
 * <p>Each shard has its own state subdirectory {@code shard-<i>}, changelog, lease and sink output;
 * its meters carry the tag {@code shard}. The replica's Pulsar connections are shared by its
 * shards.
 */
final class ShardedRuntime implements AppRun {
  private static final Logger LOG = LoggerFactory.getLogger(ShardedRuntime.class);

  /** How often the replica looks at what its standby consumers heard. */
  private static final Duration POLL = Duration.ofMillis(50);

  /** How often the replica reads the leases' stats and may hand a shard back. */
  static final Duration BALANCE_EVERY = Duration.ofSeconds(5);

  /** A shard is handed back only once held this long, so that a take-over is not undone at once. */
  static final Duration MIN_HOLD = Duration.ofSeconds(15);

  private static final Duration STANDBY_LOG_EVERY = Duration.ofSeconds(30);

  private final AppSettings settings;
  private final JobGraph graph;
  private final FailureLatch failure;
  private final int shards;
  private final String instance;
  private final Lease[] leases;

  /** The runtimes of the shards held, by shard; written by the replica thread under this lock. */
  private final Map<Integer, AppRuntime> running = new ConcurrentSkipListMap<>();

  private final Map<Integer, Long> heldSince = new ConcurrentSkipListMap<>();
  private PulsarConnections pulsar;
  private ShardWatch watch;
  private ScheduledExecutorService replicaThread;
  private volatile RecoveryLayer firstLayer;
  private volatile boolean startCancelled;
  private boolean stopping;
  private long lastBalanceNanos = System.nanoTime();

  ShardedRuntime(AppSettings settings, JobGraph graph, FailureLatch failure) {
    this.settings = settings;
    this.graph = graph;
    this.failure = failure;
    this.shards = settings.shards();
    this.instance = settings.instanceName();
    this.leases = new Lease[shards];
  }

  @Override
  public void start() {
    graph.freezeForStart();
    try {
      pulsar = PulsarConnections.open(settings);
      RepartitionTopics.create(pulsar.admin(), graph.repartitionTopics(), shards);
      for (int i = 0; i < shards; i++) {
        leases[i] = joinLease(i, 1);
      }
      watch =
          new ShardWatch(
              settings.name(),
              pulsar.admin(),
              shards,
              i -> Lease.topicOf(unitOf(i), graph.homeNamespace()),
              settings.meterRegistry());
      awaitFirstShard();
      replicaThread =
          Executors.newSingleThreadScheduledExecutor(
              Threads.named(settings.threadFactory(), settings.name(), "replica"));
      replicaThread.scheduleWithFixedDelay(
          this::lookAround, POLL.toMillis(), POLL.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      stop(Duration.ofSeconds(10), false);
      throw e;
    }
  }

  /** Stands by until this replica holds a shard and runs it; throws if the start was cancelled. */
  private void awaitFirstShard() {
    long since = System.nanoTime();
    long lastLog = since;
    LOG.info(
        "[{}] instance {} joined the replicas of the app ({} shards); waiting for a shard",
        settings.name(),
        instance,
        shards);
    while (running.isEmpty()) {
      if (startCancelled) {
        throw new StartCancelledException(
            "App " + settings.name() + " was closed while instance " + instance + " stood by");
      }
      takeFreeShards();
      long now = System.nanoTime();
      if (running.isEmpty() && now - lastLog >= STANDBY_LOG_EVERY.toNanos()) {
        lastLog = now;
        LOG.info(
            "[{}] instance {} stands by ({} s): other replicas hold every shard",
            settings.name(),
            instance,
            TimeUnit.NANOSECONDS.toSeconds(now - since));
      }
      sleep(POLL);
    }
  }

  /** The replica thread's round: take what the broker offers, and now and then balance. */
  private void lookAround() {
    if (failure.failed()) {
      return;
    }
    try {
      takeFreeShards();
      long now = System.nanoTime();
      if (now - lastBalanceNanos >= BALANCE_EVERY.toNanos()) {
        lastBalanceNanos = now;
        ShardWatch.View view = watch.check();
        if (view != null) {
          handBackAboveShare(view);
        }
      }
    } catch (RuntimeException e) {
      failure.fail(e);
    }
  }

  /** Takes every shard whose lease the broker made this replica's standby the active one. */
  private void takeFreeShards() {
    for (int i = 0; i < shards; i++) {
      if (running.containsKey(i) || !leases[i].standbyActive() || stopped()) {
        continue;
      }
      Lease lease = leases[i];
      Path dir = settings.stateDir().resolve("shard-" + i);
      MeterRegistry meters = shardMeters(i);
      TakeOverPreparation prepared =
          TakeOverPreparation.start(
              settings, lease.unit(), graph.homeNamespace(), pulsar, dir, meters);
      if (lease.tryHold(prepared)) {
        run(new HeldShard(i, lease, dir, pulsar, prepared), meters);
      }
    }
  }

  /** Starts the runtime of shard {@code held}, whose lease this replica now holds. */
  private void run(HeldShard held, MeterRegistry meters) {
    int i = held.shard();
    restandBy(running.size() + 1, i);
    AppRuntime shard = new AppRuntime(settings.withMeterRegistry(meters), graph, failure, held);
    shard.start(); // on failure it released the lease; the app fails
    boolean stopNow;
    synchronized (this) {
      stopNow = stopping;
      if (!stopNow) {
        running.put(i, shard);
        heldSince.put(i, System.nanoTime());
        if (firstLayer == null) {
          firstLayer = shard.recoveryLayer();
        }
      }
    }
    if (stopNow) {
      shard.stop(Duration.ofSeconds(30), settings.finalCheckpointOnClose());
      return;
    }
    LOG.info(
        "[{}] instance {} reads shard {} of {}; it holds shards {}",
        settings.name(),
        instance,
        i,
        shards,
        running.keySet());
  }

  /**
   * Hands one shard back when this replica holds more than its share and another replica stands by
   * on that shard's lease, so a replica that joins gets work without waiting for a crash.
   */
  private void handBackAboveShare(ShardWatch.View view) {
    int replicas = Math.max(1, view.replicas().size());
    int share = (shards + replicas - 1) / replicas;
    if (running.size() <= share) {
      return;
    }
    long now = System.nanoTime();
    Integer giveBack = null;
    for (Map.Entry<Integer, Long> held : new TreeMap<>(heldSince).descendingMap().entrySet()) {
      if (now - held.getValue() >= MIN_HOLD.toNanos() && view.othersOn(held.getKey(), instance)) {
        giveBack = held.getKey();
        break;
      }
    }
    if (giveBack == null) {
      return;
    }
    LOG.info(
        "[{}] instance {} holds {} shards, above its share of {} among {} replicas: it hands shard"
            + " {} back",
        settings.name(),
        instance,
        running.size(),
        share,
        replicas,
        giveBack);
    AppRuntime shard;
    synchronized (this) {
      if (stopping) {
        return;
      }
      shard = running.remove(giveBack);
      heldSince.remove(giveBack);
    }
    shard.stop(settings.checkpointTimeout(), true); // final checkpoint; leaves the lease
    restandBy(running.size(), -1);
    leases[giveBack] = joinLease(giveBack, 1 + running.size());
  }

  /**
   * Stands by at priority 1 + {@code held} on every shard's lease but those held and {@code
   * taking}, so that free shards go to replicas that hold fewer.
   */
  private void restandBy(int held, int taking) {
    for (int i = 0; i < shards; i++) {
      if (i != taking && !running.containsKey(i) && leases[i] != null) {
        leases[i].standBy(1 + held);
      }
    }
  }

  private Lease joinLease(int shard, int priority) {
    return Lease.join(
        unitOf(shard), instance, graph.homeNamespace(), pulsar.client(), pulsar.admin(), priority);
  }

  /** Shard {@code i}'s name: its changelog, lease and sink output. */
  private String unitOf(int i) {
    return settings.name() + "-shard-" + i;
  }

  /** A registry that tags the shard's meters with it and registers them in the app's registry. */
  private MeterRegistry shardMeters(int shard) {
    CompositeMeterRegistry meters = new CompositeMeterRegistry();
    meters.config().commonTags("shard", Integer.toString(shard));
    meters.add(settings.meterRegistry());
    return meters;
  }

  private synchronized boolean stopped() {
    return stopping || startCancelled;
  }

  @Override
  public boolean stop(Duration timeout, boolean finalCheckpoint) {
    synchronized (this) {
      if (stopping) {
        return true;
      }
      stopping = true;
    }
    boolean clean = true;
    if (replicaThread != null) {
      replicaThread.shutdownNow();
      try {
        clean &= replicaThread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        clean = false;
      }
    }
    for (AppRuntime shard : running.values()) {
      clean &= shard.stop(timeout, finalCheckpoint);
    }
    Set<Integer> held = new HashSet<>(running.keySet());
    for (int i = 0; i < shards; i++) {
      if (leases[i] != null && !held.contains(i)) {
        leases[i].close();
      }
    }
    if (pulsar != null) {
      try {
        pulsar.client().close();
      } catch (PulsarClientException e) {
        LOG.warn("[{}] closing the Pulsar client: {}", settings.name(), e.toString());
      }
      pulsar.admin().close();
    }
    AppRuntime.removeGauges(settings.meterRegistry(), settings.name());
    return clean;
  }

  @Override
  public void cancelStart() {
    startCancelled = true;
  }

  @Override
  public RecoveryLayer recoveryLayer() {
    return firstLayer;
  }

  @Override
  public long lastCompletedCheckpoint() {
    return running.values().stream().mapToLong(AppRuntime::lastCompletedCheckpoint).min().orElse(0);
  }

  @Override
  public long lastCompletedCheckpointAtMillis() {
    return running.values().stream()
        .mapToLong(AppRuntime::lastCompletedCheckpointAtMillis)
        .min()
        .orElse(0);
  }

  @Override
  public Set<String> partitions() {
    Set<String> all = new HashSet<>();
    running.values().forEach(shard -> all.addAll(shard.partitions()));
    return all;
  }

  @Override
  public Map<String, List<String>> slotGroupAssignment() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    running.forEach(
        (i, shard) ->
            shard
                .slotGroupAssignment()
                .forEach((group, parts) -> all.put("shard-" + i + "/" + group, parts)));
    return all;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartCancelledException("interrupted while standing by");
    }
  }
}
