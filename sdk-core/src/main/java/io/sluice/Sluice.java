package io.sluice;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.Options;
import io.sluice.config.PulsarSecurity;
import io.sluice.errors.SluiceException;
import io.sluice.internal.AppSettings;
import io.sluice.internal.BuilderChecks;
import io.sluice.internal.FailureLatch;
import io.sluice.internal.PulsarAccessErrors;
import io.sluice.internal.Threads;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.runtime.AppRun;
import io.sluice.internal.runtime.StartCancelledException;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import io.sluice.state.RecoveryLayer;
import io.sluice.stream.DataStream;
import io.sluice.stream.internal.Streams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded stream-processing app: Pulsar partitions in, operators and keyed state, exactly-once
 * sinks out, checkpointed to a local RocksDB and to the subscription's durable cursor.
 *
 * <pre>{@code
 * try (Sluice app = Sluice.builder()
 *         .name("orders-etl")
 *         .pulsar("pulsar://127.0.0.1:6650", "http://127.0.0.1:8080")
 *         .stateDir(Path.of("/var/lib/orders-etl"))
 *         .checkpointInterval(Duration.ofSeconds(5))
 *         .build()) {
 *   app.stream(PulsarSource.topicsMatching("persistent://public/default/orders-.*"))
 *      .map(r -> new String(r.value(), UTF_8))
 *      .sinkTo(sink);
 *   app.start();
 *   app.awaitTermination(Duration.ofDays(365));
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@code CREATED → STARTING → RUNNING → CLOSING → CLOSED}; any state may go to {@code
 * FAILED} when an error happens on any of the app's threads. {@link #start()} runs once; {@link
 * #close()} is idempotent and rethrows the failure that stopped the app, if any.
 */
public final class Sluice implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Sluice.class);

  /** The app's lifecycle. */
  public enum State {
    CREATED,
    STARTING,
    RUNNING,
    CLOSING,
    CLOSED,
    FAILED;

    boolean canMoveTo(State next) {
      return switch (this) {
        case CREATED -> EnumSet.of(STARTING, CLOSED, FAILED).contains(next);
        case STARTING -> EnumSet.of(RUNNING, FAILED, CLOSING).contains(next);
        case RUNNING -> EnumSet.of(CLOSING, FAILED).contains(next);
        case CLOSING -> EnumSet.of(CLOSED, FAILED).contains(next);
        case CLOSED, FAILED -> false;
      };
    }
  }

  private final AppSettings settings;
  private final JobGraph graph;
  private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
  private final FailureLatch failure;
  private final AppRun runtime;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private boolean stopped;

  private Sluice(AppSettings settings) {
    this.settings = settings;
    this.graph = new JobGraph(settings.name(), settings.shards(), settings.checkpointInterval());
    this.failure = new FailureLatch(this::onFailure);
    this.runtime = AppRun.of(settings, graph, failure);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Adds a source; the returned stream is where its records enter. Before {@link #start()}. */
  public DataStream<SourceRecord> stream(PulsarSource source) {
    Objects.requireNonNull(source, "source must not be null");
    return Streams.dataStream(graph.addSource(source));
  }

  /**
   * Adds a source whose records are decoded by {@code decoder} on the reader threads (in parallel,
   * before the ring); undecodable records follow the source's {@link PulsarSource#onBadRecord
   * bad-record policy}.
   */
  public <T> DataStream<T> stream(PulsarSource source, RecordDecoder<T> decoder) {
    Objects.requireNonNull(source, "source must not be null");
    Objects.requireNonNull(decoder, "decoder must not be null");
    return Streams.dataStream(graph.addSource(source, decoder));
  }

  /**
   * Connects, recovers and starts reading. Throws (and leaves the app FAILED) if a setting, the
   * broker, a topic or the state directory is not usable. A {@link Builder#replicated replicated}
   * app's standby waits here until it becomes the active replica ({@link #close()} from another
   * thread ends the wait and leaves the app CLOSED).
   */
  public void start() {
    if (!state.compareAndSet(State.CREATED, State.STARTING)) {
      throw new IllegalStateException("start() may be called once; the app is " + state.get());
    }
    // Held while starting: a failure on another thread stops the app only once everything start()
    // creates exists, and close() from another thread waits for start() too.
    synchronized (lifecycle) {
      try {
        runtime.start();
      } catch (StartCancelledException e) {
        LOG.info("[{}] {}", settings.name(), e.getMessage());
        stopped = true;
        state.set(State.CLOSED);
        terminated.countDown();
        return;
      } catch (RuntimeException e) {
        stopped = true; // the runtime released what it had started
        state.set(State.FAILED);
        terminated.countDown();
        throw PulsarAccessErrors.explain(e, settings.pulsarSecurity(), settings.serviceUrl())
            .map(RuntimeException.class::cast)
            .orElse(e);
      }
      if (!transition(State.STARTING, State.RUNNING)) {
        LOG.warn(
            "[{}] failed while starting (stopping now; close() reports it): {}",
            settings.name(),
            String.valueOf(failure.cause()));
      }
    }
  }

  public State state() {
    return state.get();
  }

  /** The error that failed the app, if it failed. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.cause());
  }

  /** Which recovery layer supplied the start positions ({@code null} before start). */
  public RecoveryLayer recoveryLayer() {
    return runtime.recoveryLayer();
  }

  /** Id of the newest complete checkpoint (0 if none yet). */
  public long lastCompletedCheckpoint() {
    return runtime.lastCompletedCheckpoint();
  }

  /** Wall-clock time of the newest checkpoint completed by this run (0 if none yet). */
  public long lastCompletedCheckpointAtMillis() {
    return runtime.lastCompletedCheckpointAtMillis();
  }

  /** Partition topics being read now. */
  public Set<String> partitions() {
    return runtime.partitions();
  }

  /** Slot group name to the partitions it reads. */
  public Map<String, List<String>> slotGroups() {
    return runtime.slotGroupAssignment();
  }

  public MeterRegistry meterRegistry() {
    return settings.meterRegistry();
  }

  public String name() {
    return settings.name();
  }

  /** Waits until the app is closed or failed; returns false on timeout. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** {@link #close(Duration)} with 60 s. */
  @Override
  public void close() {
    close(Duration.ofSeconds(60));
  }

  /**
   * Stops reading, takes a final checkpoint (unless disabled or failed), stops every thread and
   * releases the broker connections and the state store. Idempotent.
   *
   * @return whether every thread stopped within {@code timeout}
   * @throws SluiceException the failure that stopped the app, if it failed
   */
  public boolean close(Duration timeout) {
    boolean clean = true;
    runtime.cancelStart(); // a standby replica waiting in start() gives up its wait
    synchronized (lifecycle) {
      if (!stopped) {
        stopped = true;
        State s = state.get();
        if (s == State.RUNNING || s == State.STARTING) {
          transition(s, State.CLOSING);
        }
        if (s != State.CREATED) {
          clean = runtime.stop(timeout, settings.finalCheckpointOnClose());
        }
        state.getAndUpdate(cur -> cur == State.FAILED ? cur : State.CLOSED);
        terminated.countDown();
      }
    }
    Throwable cause = failure.cause();
    if (cause != null) {
      throw cause instanceof SluiceException se
          ? se
          : new SluiceException("App " + settings.name() + " failed: " + cause, cause);
    }
    return clean;
  }

  private boolean transition(State from, State to) {
    if (!from.canMoveTo(to)) {
      throw new IllegalStateException("illegal transition " + from + " -> " + to);
    }
    return state.compareAndSet(from, to);
  }

  private void onFailure(Throwable t) {
    LOG.error("[{}] failed: {}", settings.name(), t.toString(), t);
    // a straggler's error after close() completed does not turn CLOSED into FAILED
    state.getAndUpdate(cur -> cur == State.CLOSED ? cur : State.FAILED);
    // off the failing thread: a close() from the listener on it would wait for itself
    Threads.startDaemon(settings.threadFactory(), settings.name(), "stopper", () -> stopAfter(t));
  }

  private void stopAfter(Throwable t) {
    try {
      settings.failureListener().accept(t);
    } catch (Throwable e) { // even an Error must not keep the app from stopping
      if (e != t && e.getCause() != t) { // not close() rethrowing the failure
        LOG.warn("[{}] failure listener threw", settings.name(), e);
      }
    }
    synchronized (lifecycle) {
      if (!stopped) {
        stopped = true;
        runtime.stop(Duration.ofSeconds(30), false);
      }
    }
    terminated.countDown();
  }

  /**
   * Settings of an app. Each setter checks its value at once (errors name the setting and the rule)
   * and may be called once; {@link #build()} checks that the required ones are set.
   */
  public static final class Builder {
    private String name;
    private String serviceUrl;
    private String adminUrl;
    private PulsarSecurity pulsarSecurity;
    private Path stateDir;
    private Duration checkpointInterval;
    private Duration checkpointTimeout;
    private Integer retainedCheckpoints;
    private Integer maxConsecutiveCheckpointFailures;
    private Integer ringSize;
    private Long ringBytes;
    private Integer receiverQueueSize;
    private Integer fetchThreads;
    private Boolean partitionMeters;
    private String waitStrategy;
    private Duration discoveryInterval;
    private Duration regroupInterval;
    private Boolean finalCheckpointOnClose;
    private Boolean entryReads;
    private Boolean stateChangelog;
    private Boolean replicated;
    private Integer shards;
    private String instanceName;
    private BadRecordPolicy badSinkRecordPolicy;
    private final Map<String, String> slotGroupOfTopic = new LinkedHashMap<>();
    private double autoHotBytesPerSecond = -1;
    private int autoSharedGroups;
    private MeterRegistry meterRegistry;
    private ThreadFactory threadFactory;
    private Consumer<Throwable> failureListener;

    private Builder() {}

    private static void once(Object current, String key) {
      if (current != null) {
        throw new IllegalStateException(key + " was already set");
      }
    }

    public Builder name(String name) {
      Objects.requireNonNull(name, "name must not be null");
      once(this.name, Options.NAME.key());
      this.name = Options.NAME.check(name);
      return this;
    }

    public Builder pulsar(String serviceUrl, String adminUrl) {
      Objects.requireNonNull(serviceUrl, "serviceUrl must not be null");
      Objects.requireNonNull(adminUrl, "adminUrl must not be null");
      once(this.serviceUrl, Options.SERVICE_URL.key());
      this.serviceUrl = Options.SERVICE_URL.check(serviceUrl);
      this.adminUrl = Options.ADMIN_URL.check(adminUrl);
      return this;
    }

    /**
     * Authentication and TLS trust for every Pulsar client the app creates (its readers, durable
     * cursors, admin client, and the Pulsar sinks that write to the app's cluster); by default
     * none. See {@link PulsarSecurity}.
     */
    public Builder pulsarSecurity(PulsarSecurity security) {
      Objects.requireNonNull(security, "security must not be null");
      once(this.pulsarSecurity, "pulsarSecurity");
      this.pulsarSecurity = security;
      return this;
    }

    public Builder stateDir(Path dir) {
      Objects.requireNonNull(dir, "dir must not be null");
      once(this.stateDir, Options.STATE_DIR.key());
      this.stateDir = dir;
      return this;
    }

    public Builder checkpointInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval must not be null");
      once(this.checkpointInterval, Options.CHECKPOINT_INTERVAL.key());
      this.checkpointInterval = Options.CHECKPOINT_INTERVAL.check(interval);
      return this;
    }

    public Builder checkpointTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout must not be null");
      once(this.checkpointTimeout, Options.CHECKPOINT_TIMEOUT.key());
      this.checkpointTimeout = Options.CHECKPOINT_TIMEOUT.check(timeout);
      return this;
    }

    public Builder retainedCheckpoints(int n) {
      once(this.retainedCheckpoints, Options.CHECKPOINTS_RETAINED.key());
      this.retainedCheckpoints = Options.CHECKPOINTS_RETAINED.check(n);
      return this;
    }

    public Builder maxConsecutiveCheckpointFailures(int n) {
      once(
          this.maxConsecutiveCheckpointFailures, Options.MAX_CONSECUTIVE_CHECKPOINT_FAILURES.key());
      this.maxConsecutiveCheckpointFailures = Options.MAX_CONSECUTIVE_CHECKPOINT_FAILURES.check(n);
      return this;
    }

    /** Records each slot group's ring holds; see the docs table. */
    public Builder ringSize(int records) {
      once(this.ringSize, Options.RING_SIZE.key());
      this.ringSize = Options.RING_SIZE.check(records);
      return this;
    }

    /** Payload bytes each slot group's ring holds; see the docs table. */
    public Builder ringBytes(long bytes) {
      once(this.ringBytes, Options.RING_BYTES.key());
      this.ringBytes = Options.RING_BYTES.check(bytes);
      return this;
    }

    /**
     * {@code blocking} (default), {@code lite-blocking} or {@code sleeping}; see the docs table.
     */
    public Builder waitStrategy(String strategy) {
      Objects.requireNonNull(strategy, "strategy must not be null");
      once(this.waitStrategy, Options.WAIT_STRATEGY.key());
      this.waitStrategy = Options.WAIT_STRATEGY.check(strategy);
      return this;
    }

    public Builder receiverQueueSize(int messages) {
      once(this.receiverQueueSize, Options.RECEIVER_QUEUE_SIZE.key());
      this.receiverQueueSize = Options.RECEIVER_QUEUE_SIZE.check(messages);
      return this;
    }

    /**
     * Threads that take records from the partition readers, decode them and hand them to the
     * processing threads (default 0: one per core, at least 2). Their number does not grow with the
     * partitions read: a partition with nothing to read costs no thread. See {@code
     * sluice.source.fetchThreads}.
     */
    public Builder fetchThreads(int threads) {
      once(this.fetchThreads, Options.FETCH_THREADS.key());
      this.fetchThreads = Options.FETCH_THREADS.check(threads);
      return this;
    }

    public Builder discoveryInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval must not be null");
      once(this.discoveryInterval, Options.DISCOVERY_INTERVAL.key());
      this.discoveryInterval = Options.DISCOVERY_INTERVAL.check(interval);
      return this;
    }

    /**
     * Whether partitions are read a whole stored entry (a producer's batch) at a time and split by
     * Sluice (default true, faster than Readers), or one message at a time with Pulsar Readers.
     * Records, positions and checkpoints are the same either way; chunked messages and
     * non-persistent topics are always read with Readers. See {@code sluice.source.entryReads}.
     */
    public Builder entryReads(boolean enabled) {
      once(this.entryReads, Options.ENTRY_READS.key());
      this.entryReads = enabled;
      return this;
    }

    /**
     * Also keeps each checkpoint in a compacted changelog topic in Pulsar (one transaction before
     * the sinks commit), so an app whose state directory is lost restores keyed state and positions
     * from there instead of the durable cursors. Needs broker transactions. Default off.
     */
    public Builder stateChangelog(boolean enabled) {
      once(this.stateChangelog, Options.STATE_CHANGELOG.key());
      this.stateChangelog = enabled;
      return this;
    }

    /**
     * Lets several instances (replicas) of this app run at once, each on its own state directory:
     * one is active, the others stand by ({@link Sluice#start()} returns once active) and take over
     * from the changelog in Pulsar (this turns {@link #stateChangelog} on), fencing the one before:
     * that one fails with {@link OwnershipLostException}. Needs broker transactions. Default off.
     */
    public Builder replicated(boolean enabled) {
      once(this.replicated, Options.REPLICATED.key());
      this.replicated = enabled;
      return this;
    }

    /**
     * Turns {@link #replicated} on and splits the app's partitions into {@code shards} shards
     * (partition i of every topic goes to shard i mod {@code shards}, a non-partitioned topic by
     * its name's hash), each read by one replica at a time. The running replicas, fewer or more,
     * share them evenly, take over the shards of one that stops or dies and hand some to one that
     * joins. Each shard has its own changelog, lease, state subdirectory ({@code shard-<i>}) and
     * sink transactions. A {@code keyBy} repartitions between shards unless the input is declared
     * partitioned by the key ({@link io.sluice.stream.KeyedStream}). Default 1.
     */
    public Builder shards(int shards) {
      once(this.shards, Options.SHARDS.key());
      this.shards = Options.SHARDS.check(shards);
      return this;
    }

    /**
     * This instance's name among the app's replicas (default {@code <host name>-<process id>}): in
     * logs and in the broker's consumer lists. Give each replica a stable name of its own.
     */
    public Builder instanceName(String name) {
      Objects.requireNonNull(name, "name must not be null");
      once(this.instanceName, Options.INSTANCE_NAME.key());
      this.instanceName = Options.INSTANCE_NAME.check(name);
      return this;
    }

    /** Whether {@code close()} takes one last checkpoint after the readers stop (default true). */
    public Builder finalCheckpointOnClose(boolean enabled) {
      once(this.finalCheckpointOnClose, "finalCheckpointOnClose");
      this.finalCheckpointOnClose = enabled;
      return this;
    }

    /**
     * Declares a slot group: the partitions of {@code topics} get their own ring and processing
     * thread, so a hot topic cannot delay the others (topics not named in any group share the group
     * {@code default}). Keyed state is scoped to its slot group.
     */
    public Builder slotGroup(String name, String... topics) {
      Objects.requireNonNull(name, "name must not be null");
      Objects.requireNonNull(topics, "topics must not be null");
      BuilderChecks.declareSlotGroup(slotGroupOfTopic, name, topics);
      return this;
    }

    /**
     * Automatic slot groups, planned at start from each topic's byte rate as the broker measures
     * it: a topic at or above {@code hotBytesPerSecond} gets a group of its own, the others are
     * bin-packed into {@code sharedGroups} groups; declared {@link #slotGroup}s are kept. Every
     * {@link #regroupInterval} the app regroups at a checkpoint boundary if the hot topics changed,
     * losing and repeating nothing. Keyed state in these groups is scoped by source topic (records
     * of different topics do not share it), and each topic's watermark never goes back.
     */
    public Builder autoSlotGroups(double hotBytesPerSecond, int sharedGroups) {
      BuilderChecks.checkAutoSlotGroups(hotBytesPerSecond, sharedGroups);
      once(this.autoSharedGroups == 0 ? null : Boolean.TRUE, "autoSlotGroups");
      this.autoHotBytesPerSecond = hotBytesPerSecond;
      this.autoSharedGroups = sharedGroups;
      return this;
    }

    /**
     * How often automatic slot groups re-measure the topics' byte rates (default 60 s; zero: plan
     * once at start). See {@link #autoSlotGroups}.
     */
    public Builder regroupInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval must not be null");
      once(this.regroupInterval, Options.REGROUP_INTERVAL.key());
      this.regroupInterval = Options.REGROUP_INTERVAL.check(interval);
      return this;
    }

    /**
     * What happens to a record a sink cannot map ({@link io.sluice.sink.SinkContext#badRecord}):
     * FAIL (default) stops the app naming sink, record and cause; SKIP counts and drops it.
     * DEAD_LETTER is refused: it is for sources.
     */
    public Builder onBadSinkRecord(BadRecordPolicy policy) {
      once(this.badSinkRecordPolicy, "onBadSinkRecord");
      this.badSinkRecordPolicy = BuilderChecks.checkSinkPolicy(policy);
      return this;
    }

    public Builder meterRegistry(MeterRegistry registry) {
      Objects.requireNonNull(registry, "registry must not be null");
      once(this.meterRegistry, "meterRegistry");
      this.meterRegistry = registry;
      return this;
    }

    /** Creates every thread of the app; names are set to {@code sluice-<app>-<role>-<n>}. */
    /**
     * Whether meters tagged with a partition are registered (default true): one gauge per partition
     * read. Turn off for apps reading thousands of partitions. See {@code
     * sluice.metrics.partitionMeters}.
     */
    public Builder partitionMeters(boolean enabled) {
      once(this.partitionMeters, Options.PARTITION_METERS.key());
      this.partitionMeters = enabled;
      return this;
    }

    public Builder threadFactory(ThreadFactory factory) {
      Objects.requireNonNull(factory, "factory must not be null");
      once(this.threadFactory, "threadFactory");
      this.threadFactory = factory;
      return this;
    }

    /**
     * Told once when the app fails, on an app thread (not the failing one), before its threads are
     * stopped; it may call {@link Sluice#close}, which then stops the app and throws the failure.
     */
    public Builder onFailure(Consumer<Throwable> listener) {
      Objects.requireNonNull(listener, "listener must not be null");
      once(this.failureListener, "onFailure");
      this.failureListener = listener;
      return this;
    }

    public Sluice build() {
      BuilderChecks.checkRequired(name, serviceUrl, stateDir);
      BuilderChecks.checkWritable(stateDir);
      AppSettings settings =
          new AppSettings(
              name,
              serviceUrl,
              adminUrl,
              pulsarSecurity != null ? pulsarSecurity : PulsarSecurity.none(),
              stateDir,
              checkpointInterval != null ? checkpointInterval : Duration.ofSeconds(5),
              checkpointTimeout != null ? checkpointTimeout : Duration.ofSeconds(60),
              retainedCheckpoints != null ? retainedCheckpoints : 3,
              maxConsecutiveCheckpointFailures != null ? maxConsecutiveCheckpointFailures : 10,
              ringSize != null ? ringSize : 16384,
              ringBytes != null ? ringBytes : 64L << 20,
              waitStrategy != null ? waitStrategy : "blocking",
              receiverQueueSize != null ? receiverQueueSize : 1000,
              fetchThreads != null ? fetchThreads : 0,
              entryReads == null || entryReads,
              (stateChangelog != null && stateChangelog)
                  || (replicated != null && replicated)
                  || shards != null,
              (replicated != null && replicated) || shards != null,
              shards != null ? shards : 1,
              instanceName != null ? instanceName : BuilderChecks.defaultInstanceName(),
              discoveryInterval != null ? discoveryInterval : Duration.ofSeconds(10),
              finalCheckpointOnClose == null || finalCheckpointOnClose,
              badSinkRecordPolicy != null ? badSinkRecordPolicy : BadRecordPolicy.FAIL,
              Map.copyOf(slotGroupOfTopic),
              autoHotBytesPerSecond,
              autoSharedGroups,
              regroupInterval != null ? regroupInterval : Duration.ofSeconds(60),
              meterRegistry != null ? meterRegistry : new SimpleMeterRegistry(),
              partitionMeters == null || partitionMeters,
              threadFactory != null ? threadFactory : Executors.defaultThreadFactory(),
              failureListener != null ? failureListener : t -> {});
      return new Sluice(settings);
    }
  }
}
