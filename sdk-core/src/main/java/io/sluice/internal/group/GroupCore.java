package io.sluice.internal.group;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.SluiceException;
import io.sluice.errors.SourceException;
import io.sluice.internal.graph.DeadLetter;
import io.sluice.internal.graph.Emitter;
import io.sluice.internal.graph.GroupServices;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.graph.StreamNode;
import io.sluice.metrics.Metric;
import io.sluice.sink.Committable;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateDelta;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.pulsar.client.api.MessageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processing side of a slot group, independent of how records arrive (the Disruptor ring in
 * production, direct calls in the test driver): operator chains, keyed state, sink writers,
 * partition positions and watermarks. Every method runs on the group's processing thread, except
 * {@link #addPartition}.
 *
 * <p>Watermarks: each partition keeps the largest event time it delivered; its watermark trails
 * that by the source's maxOutOfOrderness. The group's watermark is the minimum over partitions that
 * are not idle, recomputed on {@link #onTick}, and never goes back. Partition clocks are saved in
 * keyed state at every barrier, so a restored job sees the same watermark.
 */
public final class GroupCore implements GroupServices {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCore.class);
  private static final byte[] WATERMARK_KEY =
      "\0sluice.group.watermark".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CLOCK_STATE_KEY_PREFIX =
      "\0sluice.clock:".getBytes(StandardCharsets.UTF_8);
  private static final byte[] FLOOR_KEY = "\0sluice.scope.floor".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NO_SCOPE = new byte[0];

  private final int index;
  private final String appName;
  private final KeyedStateBackend backend;

  /** Each source's compiled operator chain, by source index (an array: looked up per record). */
  private Emitter<Object>[] chains = newChains(0);

  private final Map<String, SinkWriter<?>> writers = new LinkedHashMap<>();

  /** Restored positions; those advanced since are on the partitions in {@link #owned}. */
  private final Map<String, MessageId> positions = new HashMap<>();

  /** Partitions whose position this group advanced (it holds their {@code position}). */
  private final List<InputPartition> owned = new ArrayList<>();

  private final Map<Integer, Sink<DeadLetter>> deadLetterSinks = new HashMap<>();
  private final List<InputPartition> partitions = new CopyOnWriteArrayList<>();
  private final List<WatermarkListener> watermarkListeners = new ArrayList<>();
  private final List<TickListener> tickListeners = new ArrayList<>();
  // processing time = this + the nano clock in ms (the test driver's clock moves the nano clock)
  private final long epochMillisAtZeroNanos;
  private final BiFunction<Sink<?>, Integer, SinkContext> sinkContexts;
  private final LongSupplier nanoClock;

  private static final long NO_BATCH = Long.MIN_VALUE;

  /** The clock reading of the current run of ring events, or NO_BATCH. */
  private long batchNanos = NO_BATCH;

  private final ValueState<Long> clockState;
  // topic-scoped groups (automatic slot groups): each topic's state lives in its own scope and
  // its watermark never goes back below the highest one applied to it, whichever group ran it
  private final boolean topicScoped;
  private final Map<Bytes, Long> floors = new HashMap<>();
  private final Counter duplicatesSkipped;
  private final Counter badRecords;
  private final AtomicLong watermarkGauge = new AtomicLong(Long.MIN_VALUE);
  private final Gauge watermarkMeter;
  private InputPartition currentPartition;
  private long currentEventTime;
  private long watermark = Long.MIN_VALUE;

  public GroupCore(
      int index,
      String appName,
      KeyedStateBackend backend,
      BiFunction<Sink<?>, Integer, SinkContext> sinkContexts,
      MeterRegistry meters,
      LongSupplier nanoClock,
      boolean topicScoped) {
    this.index = index;
    this.topicScoped = topicScoped;
    this.appName = appName;
    this.backend = backend;
    this.sinkContexts = sinkContexts;
    this.nanoClock = nanoClock;
    this.epochMillisAtZeroNanos = System.currentTimeMillis() - nanoClock.getAsLong() / 1_000_000;
    this.clockState = backend.valueState("\0sluice.partition.clock", Serde.longs());
    String group = Integer.toString(index);
    this.duplicatesSkipped =
        Metric.SOURCE_REDELIVERED_SKIPPED.counter(meters, appName, "group", group);
    this.badRecords = Metric.SOURCE_BAD_RECORDS.counter(meters, appName, "group", group);
    this.watermarkMeter =
        Metric.WATERMARK
            .gauge(watermarkGauge, AtomicLong::get)
            .tag("app", appName)
            .tag("group", group)
            .register(meters);
  }

  Gauge watermarkGauge() {
    return watermarkMeter;
  }

  public void compile(JobGraph graph) {
    for (JobGraph.SourceBinding binding : graph.sources()) {
      @SuppressWarnings("unchecked")
      StreamNode<Object> root = (StreamNode<Object>) binding.root();
      if (binding.index() >= chains.length) {
        chains = Arrays.copyOf(chains, binding.index() + 1);
      }
      chains[binding.index()] = root.compile(this);
      if (binding.deadLetters() != null) {
        deadLetterSinks.put(binding.index(), binding.deadLetters());
      }
    }
  }

  public void restorePositions(Map<String, MessageId> restored) {
    positions.putAll(restored);
    if (topicScoped) {
      return; // no group watermark: groups are re-planned; each topic keeps its floor instead
    }
    backend.setScope(NO_SCOPE);
    backend.setCurrentKey(WATERMARK_KEY);
    Long saved = clockState.value();
    if (saved != null) {
      watermark = saved;
      watermarkGauge.set(saved);
    }
  }

  /** A partition now feeding this group (any thread). */
  public void addPartition(InputPartition partition) {
    partitions.add(partition);
  }

  /** A partition whose start failed before any of its records was read (any thread). */
  public void removePartition(InputPartition partition) {
    partitions.remove(partition);
  }

  @Override
  public KeyedStateBackend keyedState() {
    return backend;
  }

  @Override
  public <T> SinkWriter<T> writer(Sink<T> sink) {
    @SuppressWarnings("unchecked")
    SinkWriter<T> existing = (SinkWriter<T>) writers.get(sink.name());
    if (existing != null) {
      return existing;
    }
    SinkWriter<T> writer = sink.createWriter(sinkContexts.apply(sink, index));
    writers.put(sink.name(), writer);
    return writer;
  }

  @Override
  public long currentEventTime() {
    return currentEventTime;
  }

  @Override
  public void setCurrentEventTime(long timestamp) {
    currentEventTime = timestamp;
  }

  @Override
  public void observeEventTime(long timestamp) {
    InputPartition p = currentPartition;
    if (p != null && timestamp > p.maxEventTime) {
      p.maxEventTime = timestamp;
    }
  }

  /**
   * The watermark for the state scope being processed: the group's, but never below the highest
   * watermark an earlier group applied to this topic (after a regroup the topic may share a group
   * whose watermark is behind; records that were late must stay late).
   */
  @Override
  public long currentWatermark() {
    byte[] scope = backend.scope();
    return scope.length == 0 ? watermark : Math.max(watermark, floorOf(scope));
  }

  @Override
  public Collection<byte[]> stateScopes() {
    if (!topicScoped) {
      return List.of(NO_SCOPE);
    }
    Map<Bytes, byte[]> distinct = new LinkedHashMap<>();
    for (InputPartition p : partitions) {
      distinct.putIfAbsent(new Bytes(p.stateScope), p.stateScope);
    }
    return distinct.values();
  }

  /** Whether state is scoped by topic in this group (automatic slot groups). */
  boolean topicScoped() {
    return topicScoped;
  }

  private long floorOf(byte[] scope) {
    Bytes k = new Bytes(scope);
    Long floor = floors.get(k);
    if (floor == null) {
      byte[] key = backend.currentKey();
      backend.setCurrentKey(FLOOR_KEY);
      Long saved = clockState.value();
      backend.setCurrentKey(key);
      floor = saved == null ? Long.MIN_VALUE : saved;
      floors.put(k, floor);
    }
    return floor;
  }

  @Override
  public void onWatermark(WatermarkListener listener) {
    watermarkListeners.add(listener);
  }

  @Override
  public long currentProcessingTime() {
    return epochMillisAtZeroNanos + nanoClock.getAsLong() / 1_000_000;
  }

  @Override
  public void onTick(TickListener listener) {
    tickListeners.add(listener);
  }

  /**
   * Processes record {@code i} of {@code batch} (or its decode failure), unless it is at or before
   * the partition's last processed position.
   */
  public void onRecord(RecordBatch batch, int i) throws Exception {
    InputPartition partition = batch.partition;
    MessageId id = batch.ids[i];
    boolean seen;
    if (partition.positionOwner == this) {
      seen = batch.compareWithPosition(i) <= 0;
    } else {
      MessageId restored = positions.get(partition.topic);
      seen = restored != null && id.compareTo(restored) <= 0;
    }
    if (seen) {
      duplicatesSkipped.increment();
      return;
    }
    long eventTime = batch.eventTimes[i];
    Object value = batch.values[i];
    Throwable decodeError = batch.decodeErrors[i];
    restoreClock(partition);
    partition.lastRecordNanos = batchNanos != NO_BATCH ? batchNanos : nanoClock.getAsLong();
    if (decodeError != null) {
      badRecord(partition, id, decodeError, value);
      advance(batch, i);
      return;
    }
    currentPartition = partition;
    currentEventTime = eventTime;
    backend.setScope(partition.stateScope);
    observeEventTime(eventTime);
    try {
      chains[partition.sourceIndex].emit(value);
    } catch (StreamNode.OperatorException e) {
      throw failure(partition, id, e.getCause());
    } catch (SluiceException e) {
      throw e;
    } catch (Exception e) {
      throw failure(partition, id, e);
    } finally {
      currentPartition = null;
    }
    advance(batch, i);
    partition.lastPublishTime = batch.publishTimes[i];
    Counter in = partition.recordsIn;
    if (in != null) {
      in.increment();
    }
  }

  @SuppressWarnings("unchecked")
  private static Emitter<Object>[] newChains(int n) {
    return (Emitter<Object>[]) new Emitter<?>[n];
  }

  private void advance(RecordBatch batch, int i) {
    InputPartition partition = batch.partition;
    if (partition.positionOwner != this) {
      partition.positionOwner = this;
      owned.add(partition);
    }
    batch.advancePosition(i);
  }

  /** The last processed position of every partition this group read or restored. */
  private Map<String, MessageId> positions() {
    Map<String, MessageId> all = new HashMap<>(positions);
    for (InputPartition p : owned) {
      all.put(p.topic, p.position);
    }
    return Map.copyOf(all);
  }

  /**
   * A run of ring events begins: its records are stamped with this one clock reading instead of one
   * reading each (idleness is judged in timeouts of seconds; a run's span does not matter). Callers
   * that never start batches (the test driver) get a reading per record.
   */
  void startBatch() {
    batchNanos = nanoClock.getAsLong();
  }

  /** Recomputes the watermark from the partition clocks; fires listeners if it advanced. */
  public void onTick() throws Exception {
    long now = nanoClock.getAsLong();
    long candidate = Long.MAX_VALUE;
    boolean active = false;
    for (InputPartition p : partitions) {
      restoreClock(p);
      long since = now - (p.lastRecordNanos == 0 ? p.createdNanos : p.lastRecordNanos);
      if (since > p.idleTimeoutNanos) {
        continue;
      }
      active = true;
      long pw =
          p.maxEventTime == Long.MIN_VALUE
              ? Long.MIN_VALUE
              : p.maxEventTime - p.outOfOrdernessMillis - 1;
      candidate = Math.min(candidate, pw);
    }
    if (active && candidate != Long.MIN_VALUE && candidate > watermark) {
      advanceWatermark(candidate);
    }
    if (!tickListeners.isEmpty()) {
      long processingTime = currentProcessingTime();
      for (TickListener l : tickListeners) {
        l.tick(processingTime);
      }
    }
  }

  private void advanceWatermark(long to) throws Exception {
    watermark = to;
    watermarkGauge.set(to);
    for (WatermarkListener l : watermarkListeners) {
      l.advance(to);
    }
  }

  /** Takes a barrier: prepares the writers, saves the clocks, swaps out the state delta. */
  public GroupSnapshot onBarrier(long checkpointId) {
    List<GroupSnapshot.Prepared> prepared = new ArrayList<>();
    try {
      for (Map.Entry<String, SinkWriter<?>> w : writers.entrySet()) {
        CompletableFuture<Committable> c = w.getValue().prepareCommit(checkpointId);
        prepared.add(
            new GroupSnapshot.Prepared(
                w.getKey(), c == null ? CompletableFuture.completedFuture(null) : c));
      }
      saveClocks();
      StateDelta delta = backend.snapshot();
      return new GroupSnapshot(checkpointId, positions(), delta, prepared, null);
    } catch (RuntimeException e) {
      return new GroupSnapshot(checkpointId, Map.of(), null, prepared, e);
    }
  }

  private void saveClocks() {
    if (topicScoped && watermark != Long.MIN_VALUE) {
      for (byte[] scope : stateScopes()) {
        backend.setScope(scope);
        long floor = Math.max(floorOf(scope), watermark);
        floors.put(new Bytes(scope), floor);
        backend.setCurrentKey(FLOOR_KEY);
        clockState.update(floor);
      }
    }
    backend.setScope(NO_SCOPE);
    if (!topicScoped && watermark != Long.MIN_VALUE) {
      backend.setCurrentKey(WATERMARK_KEY);
      clockState.update(watermark);
    }
    for (InputPartition p : partitions) {
      if (p.maxEventTime != Long.MIN_VALUE) {
        backend.setCurrentKey(clockKey(p));
        clockState.update(p.maxEventTime);
      }
    }
  }

  private void restoreClock(InputPartition p) {
    if (!p.clockRestored) {
      p.clockRestored = true;
      byte[] scope = backend.scope();
      backend.setScope(NO_SCOPE);
      backend.setCurrentKey(clockKey(p));
      Long saved = clockState.value();
      if (saved != null && saved > p.maxEventTime) {
        p.maxEventTime = saved;
      }
      backend.setScope(scope);
    }
  }

  private static byte[] clockKey(InputPartition p) {
    byte[] topic = p.topic.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[CLOCK_STATE_KEY_PREFIX.length + topic.length];
    System.arraycopy(CLOCK_STATE_KEY_PREFIX, 0, key, 0, CLOCK_STATE_KEY_PREFIX.length);
    System.arraycopy(topic, 0, key, CLOCK_STATE_KEY_PREFIX.length, topic.length);
    return key;
  }

  public void closeWriters() {
    for (Map.Entry<String, SinkWriter<?>> w : writers.entrySet()) {
      try {
        w.getValue().close();
      } catch (RuntimeException e) {
        LOG.warn("[{}] closing writer of sink {} failed", appName, w.getKey(), e);
      }
    }
  }

  private void badRecord(InputPartition partition, MessageId id, Throwable error, Object original) {
    String what =
        "Cannot decode the message "
            + id
            + " of "
            + partition.topic
            + " (partition "
            + partition.partitionIndex
            + "): "
            + error;
    if (partition.badRecordPolicy == BadRecordPolicy.FAIL) {
      throw new SourceException(
          what
              + ". Fix the producer or the decoder, or set"
              + " PulsarSource.onBadRecord(BadRecordPolicy.SKIP) to count and skip such records.",
          error);
    }
    badRecords.increment();
    if (partition.badRecordPolicy == BadRecordPolicy.DEAD_LETTER) {
      Sink<DeadLetter> dlq = deadLetterSinks.get(partition.sourceIndex);
      writer(dlq).write(new DeadLetter((SourceRecord) original, error));
      LOG.debug("[{}] dead-lettered: {}", appName, what);
      return;
    }
    LOG.warn("[{}] skipped (onBadRecord=SKIP): {}", appName, what);
  }

  private static SluiceException failure(InputPartition partition, MessageId id, Throwable cause) {
    return new SluiceException(
        "Processing failed on "
            + partition.topic
            + " at message "
            + id
            + ": "
            + cause
            + ". The app stops; on restart it resumes from the last checkpoint.",
        cause);
  }
}
