package io.sluice.internal.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.PulsarSecurity;
import io.sluice.errors.ConfigException;
import io.sluice.internal.checkpoint.CheckpointCoordinator;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.internal.checkpoint.Recovery;
import io.sluice.internal.checkpoint.SinkContextImpl;
import io.sluice.internal.checkpoint.StateDirLock;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.internal.group.GroupCore;
import io.sluice.internal.group.GroupSnapshot;
import io.sluice.internal.group.InputPartition;
import io.sluice.internal.group.RecordBatch;
import io.sluice.internal.group.SlotGroup;
import io.sluice.internal.source.PartitionDecoder;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.SourceRecord;
import io.sluice.state.RecoveryLayer;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.internal.DefaultImplementation;

/**
 * Runs a job graph without a broker, on the caller's thread: the engine of {@code TestDriver}. It
 * uses the same {@link GroupCore}, state store and checkpoint coordinator as production; only the
 * ring, the readers and the durable cursors are replaced by direct calls.
 */
public final class DriverRuntime implements AutoCloseable {
  private final String name;
  private final JobGraph graph;
  private final Path stateDir;
  private final MeterRegistry meters;
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final Map<String, Fed> partitions = new HashMap<>();
  private final Map<String, Long> nextEntry = new HashMap<>();
  private final Map<String, Committer> committers = new LinkedHashMap<>();
  private final Map<String, MessageId> lastCommittedPositions = new HashMap<>();
  private StateStore store;
  private StateDirLock stateDirLock;
  private GroupCore core;
  private CheckpointCoordinator coordinator;
  private Executor commitExecutor = Runnable::run;
  private Throwable failure;

  public DriverRuntime(String name, JobGraph graph, Path stateDir, MeterRegistry meters) {
    this.name = name;
    this.graph = graph;
    this.stateDir = stateDir;
    this.meters = meters;
  }

  /** Opens the state (recovering the newest checkpoint, like a real start) and compiles. */
  public void start() {
    graph.freeze();
    Recovery.Result recovered =
        new Recovery(name, stateDir, meters, false, null, false)
            .run(
                opened -> {
                  store = opened;
                  for (Map.Entry<String, Sink<?>> e : graph.sinks().entrySet()) {
                    committers.put(
                        e.getKey(), e.getValue().createCommitter(context(e.getValue(), 0)));
                  }
                  return committers;
                },
                DriverRuntime::resumeAtCheckpoint);
    store = recovered.store();
    stateDirLock = recovered.lock();
    CheckpointRecord checkpoint = recovered.checkpoint().orElse(null);
    Map<String, MessageId> restored = recovered.positions();
    restored.forEach((t, id) -> nextEntry.put(t, ((MessageIdAdv) id).getEntryId() + 1));
    core =
        new GroupCore(
            0,
            name,
            new KeyedStateBackend(store),
            (sink, index) -> context(sink, index),
            meters,
            nanos::get,
            false);
    core.compile(graph);
    core.restorePositions(restored);
    SlotGroup direct =
        new SlotGroup() {
          @Override
          public CompletableFuture<GroupSnapshot> barrier(long checkpointId) {
            return CompletableFuture.completedFuture(core.onBarrier(checkpointId));
          }

          @Override
          public KeyedStateBackend keyedState() {
            return core.keyedState();
          }
        };
    coordinator =
        new CheckpointCoordinator(
            name,
            store,
            List.of(direct),
            committers,
            lastCommittedPositions::putAll,
            Duration.ofSeconds(60),
            3,
            1,
            checkpoint == null ? 0 : checkpoint.id(),
            meters,
            t -> failure = t,
            commitExecutor, // by default on the calling thread: checkpoint() returns committed
            Runnable::run,
            null);
  }

  /** Without a broker there is no durable cursor: each partition resumes at its checkpoint. */
  private static Map<String, PartitionStart> resumeAtCheckpoint(Map<String, MessageId> positions) {
    Map<String, PartitionStart> starts = new HashMap<>();
    positions.forEach(
        (topic, id) -> starts.put(topic, new PartitionStart(id, false, RecoveryLayer.CHECKPOINT)));
    return starts;
  }

  private SinkContextImpl context(Sink<?> sink, int index) {
    return new SinkContextImpl(
        name,
        sink.name(),
        index,
        "pulsar://test-driver:6650",
        "http://test-driver:8080",
        PulsarSecurity.none(),
        meters,
        store,
        BadRecordPolicy.FAIL,
        false,
        Duration.ZERO);
  }

  /** Feeds one message to the partition's source, as a reader would. */
  public void send(
      String topic,
      int partition,
      String key,
      byte[] value,
      long eventTime,
      Map<String, String> props)
      throws Exception {
    String partitionTopic = partition < 0 ? topic : topic + "-partition-" + partition;
    Fed fed = partitions.computeIfAbsent(partitionTopic, t -> newPartition(topic, t));
    long entry = nextEntry.merge(partitionTopic, 1L, Long::sum) - 1;
    MessageId id =
        DefaultImplementation.getDefaultImplementation()
            .newMessageId(1, entry, Math.max(partition, -1));
    long publishTime = eventTime > 0 ? eventTime : System.currentTimeMillis();
    SourceRecord record =
        new SourceRecord(partitionTopic, id, key, value, publishTime, eventTime, props);
    RecordBatch batch = new RecordBatch(fed.input(), 1);
    fed.decoder().fill(batch, 0, record);
    core.onRecord(batch, 0);
  }

  /** A partition the driver feeds: its processing side and its source's decoder. */
  private record Fed(InputPartition input, PartitionDecoder decoder) {}

  private Fed newPartition(String topic, String partitionTopic) {
    for (SourceBinding b : graph.sources()) {
      boolean matches =
          b.source().pattern().map(p -> p.matcher(topic).matches()).orElse(false)
              || b.source().topicList().contains(topic);
      if (matches) {
        InputPartition input =
            new InputPartition(
                b.index(),
                partitionTopic,
                b.source().badRecordPolicy(),
                b.source().maxOutOfOrderness().toMillis(),
                b.source().idleTimeout().toNanos());
        core.addPartition(input);
        return new Fed(input, new PartitionDecoder(b.decoder(), b.source().maxRecordBytes()));
      }
    }
    throw new ConfigException("No source of this job reads topic " + topic);
  }

  /** Moves the driver's processing-time clock and lets the watermark catch up. */
  public void advanceProcessingTime(Duration duration) throws Exception {
    nanos.addAndGet(duration.toNanos());
    core.onTick();
  }

  /** Re-evaluates the watermark now (production does this every 100 ms). */
  public void tick() throws Exception {
    core.onTick();
  }

  public long watermark() {
    return core.currentWatermark();
  }

  /** Runs a full checkpoint (barrier, atomic state write, sink commit); returns its id. */
  public long checkpoint() {
    if (!coordinator.checkpoint()) {
      throw new IllegalStateException("checkpoint failed: " + failure);
    }
    return coordinator.lastCompletedId();
  }

  /** Positions the last checkpoint handed to the (simulated) durable cursor. */
  public Map<String, MessageId> committedPositions() {
    return Map.copyOf(lastCommittedPositions);
  }

  /**
   * Commits completed checkpoints on {@code executor} instead of the calling thread, as the app
   * runtime does; for tests of what happens while a commit is still running. Call before start.
   */
  void commitOn(Executor executor) {
    this.commitExecutor = executor;
  }

  /** The newest checkpoint whose record is written (its commit may still be running). */
  long lastCompletedCheckpoint() {
    return coordinator.lastCompletedId();
  }

  /** Stops like a killed process would: no final checkpoint, writers closed. */
  @Override
  public void close() {
    if (coordinator != null) {
      coordinator.stop(); // a commit still running leaves the store alone from now on
    }
    if (core != null) {
      core.closeWriters();
    }
    committers.values().forEach(Committer::close);
    if (store != null) {
      store.close();
      store = null;
    }
    if (stateDirLock != null) {
      stateDirLock.close();
    }
  }
}
