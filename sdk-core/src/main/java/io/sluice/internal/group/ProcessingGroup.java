package io.sluice.internal.group;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.LiteBlockingWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.errors.CheckpointException;
import io.sluice.errors.SluiceException;
import io.sluice.internal.graph.JobGraph;
import io.sluice.metrics.Metric;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.state.internal.KeyedStateBackend;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.MessageId;
import org.slf4j.LoggerFactory;

/**
 * A slot group in production: one Disruptor ring fed by the fetchers of its partitions, and one
 * processing thread that runs the {@link GroupCore} (operators, keyed state, sink writers).
 *
 * <p>Thread ownership: fetcher threads only call {@link #tryPublish} with batches they decoded; the
 * coordinator only calls {@link #barrier}; the ticker only calls {@link #tick}. A full ring refuses
 * {@link #tryPublish}, which holds the fetchers' batches for its partitions and, through the
 * readers' bounded receiver queues, the broker: memory stays bounded.
 */
public final class ProcessingGroup implements SlotGroup {
  /** The most records one ring slot carries. */
  public static final int MAX_BATCH = 64;

  private final int index;
  private final String name;
  private final String appName;
  private final GroupCore core;
  private final Disruptor<RingEvent> disruptor;
  private final RingBuffer<RingEvent> ring;
  private final Consumer<Throwable> onFailure;
  private final Timer barrierStall;
  private final Gauge occupancy;
  private final Gauge ringBytesGauge;
  private final int maxBatch;

  /** Records published and not yet processed (the occupancy gauge). */
  private final LongAdder recordsInRing = new LongAdder();

  /** Payload bytes published and not yet processed, and their bound. */
  private final AtomicLong bytesInRing = new AtomicLong();

  private final long maxRingBytes;

  private volatile boolean failed;

  /** Set by {@link #stop}: a fetcher waiting for room in the ring gives up. */
  private volatile boolean stopping;

  /** How long a barrier may wait for room in a full ring before its checkpoint fails. */
  private final Duration barrierPublishTimeout;

  /** How long a writer waits before trying a full ring again. */
  private static final long FULL_RING_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  public ProcessingGroup(
      int index,
      String appName,
      int ringSize,
      long ringBytes,
      String waitStrategy,
      Duration barrierPublishTimeout,
      String name,
      boolean topicScoped,
      ThreadFactory threads,
      KeyedStateBackend backend,
      BiFunction<Sink<?>, Integer, SinkContext> sinkContexts,
      MeterRegistry meters,
      Consumer<Throwable> onFailure) {
    this.index = index;
    this.name = name;
    this.appName = appName;
    this.onFailure = onFailure;
    this.barrierPublishTimeout = barrierPublishTimeout;
    this.maxRingBytes = ringBytes;
    this.core =
        new GroupCore(index, appName, backend, sinkContexts, meters, System::nanoTime, topicScoped);
    // ringSize records in at least 16 slots of up to 64 records each (both powers of two)
    this.maxBatch = Math.max(1, Math.min(MAX_BATCH, ringSize / 16));
    this.disruptor =
        new Disruptor<>(
            RingEvent::new,
            ringSize / maxBatch,
            threads,
            ProducerType.MULTI,
            waitStrategy(waitStrategy));
    this.disruptor.handleEventsWith(new Handler());
    this.disruptor.setDefaultExceptionHandler(new FailOnError());
    this.ring = disruptor.getRingBuffer();
    String group = Integer.toString(index);
    this.occupancy =
        Metric.PIPELINE_RING_OCCUPANCY
            .gauge(recordsInRing, LongAdder::sum)
            .tag("app", appName)
            .tag("group", group)
            .register(meters);
    this.ringBytesGauge =
        Metric.PIPELINE_RING_BYTES
            .gauge(bytesInRing, AtomicLong::get)
            .tag("app", appName)
            .tag("group", group)
            .register(meters);
    this.barrierStall =
        Metric.CHECKPOINT_STALL
            .timer()
            .tag("app", appName)
            .tag("group", group)
            .publishPercentiles(0.5, 0.99, 1.0)
            .register(meters);
  }

  private static WaitStrategy waitStrategy(String name) {
    return switch (name) {
      case "lite-blocking" -> new LiteBlockingWaitStrategy();
      case "sleeping" -> new SleepingWaitStrategy();
      default -> new BlockingWaitStrategy();
    };
  }

  public int index() {
    return index;
  }

  /** The most records a fetcher may publish in one slot. */
  public int maxBatch() {
    return maxBatch;
  }

  /** The payload bytes a fetcher puts in one ring slot at most (unless one record is larger). */
  public long maxBatchBytes() {
    return maxRingBytes / 16;
  }

  public String name() {
    return name;
  }

  public boolean topicScoped() {
    return core.topicScoped();
  }

  public void compile(JobGraph graph) {
    core.compile(graph);
  }

  public void restorePositions(Map<String, MessageId> restored) {
    core.restorePositions(restored);
  }

  public void addPartition(InputPartition partition) {
    core.addPartition(partition);
  }

  public void removePartition(InputPartition partition) {
    core.removePartition(partition);
  }

  public void start() {
    disruptor.start();
  }

  @Override
  public KeyedStateBackend keyedState() {
    return core.keyedState();
  }

  /** What {@link #tryPublish} did. */
  public enum Publish {
    PUBLISHED,
    /** The ring is full: nothing published; try again later. */
    FULL,
    /** The group is stopping: nothing published, ever. */
    STOPPED
  }

  /**
   * Publishes one partition's batch (at most {@link #maxBatch} records, decoded by the fetcher) in
   * one ring slot if the ring has room now; never waits, so a fetcher does not hold the source's
   * gate while a stuck processing thread keeps its ring full.
   */
  public Publish tryPublish(RecordBatch batch) {
    if (stopping) {
      return Publish.STOPPED;
    }
    // Fetchers check and add apart, so several may each pass with one batch: the ring holds at
    // most the bound plus one batch per fetcher. A batch alone always fits, however large.
    long inRing = bytesInRing.get();
    if (inRing > 0 && inRing + batch.bytes() > maxRingBytes) {
      return Publish.FULL;
    }
    long sequence;
    try {
      sequence = ring.tryNext();
    } catch (InsufficientCapacityException full) {
      return Publish.FULL;
    }
    recordsInRing.add(batch.size);
    bytesInRing.addAndGet(batch.bytes());
    try {
      RingEvent event = ring.get(sequence);
      event.kind = RingEvent.RECORDS;
      event.batch = batch;
    } finally {
      ring.publish(sequence);
    }
    return Publish.PUBLISHED;
  }

  /**
   * A free slot's sequence for a barrier, waiting while the ring is full (a processing thread stuck
   * in an operator or a sink keeps it full); -1 once the group stops or {@code patience} has
   * passed. Disruptor's own blocking claim would wait on a stopped group for ever.
   */
  private long claim(Duration patience) {
    long started = System.nanoTime();
    while (true) {
      try {
        return ring.tryNext();
      } catch (InsufficientCapacityException full) {
        if (stopping || System.nanoTime() - started > patience.toNanos()) {
          return -1;
        }
        LockSupport.parkNanos(FULL_RING_PARK_NANOS);
      }
    }
  }

  /**
   * Called by the coordinator: the snapshot completes when the processing thread takes it. A ring
   * that stays full for the checkpoint timeout (its processing thread is stuck) fails this
   * checkpoint instead of holding the checkpoint thread, so the failure is counted.
   */
  @Override
  public CompletableFuture<GroupSnapshot> barrier(long checkpointId) {
    CompletableFuture<GroupSnapshot> result = new CompletableFuture<>();
    long sequence = claim(barrierPublishTimeout);
    if (sequence < 0) {
      // a failed snapshot, not a failed future: the coordinator still collects the other groups'
      // snapshots (their state changes and prepared output are carried to the next checkpoint)
      result.complete(
          new GroupSnapshot(
              checkpointId,
              Map.of(),
              null,
              List.of(),
              new CheckpointException(
                  "slot group "
                      + index
                      + ": the ring stayed full for "
                      + barrierPublishTimeout
                      + " (its processing thread is stuck or far behind), so the barrier of"
                      + " checkpoint "
                      + checkpointId
                      + " could not be queued")));
      return result;
    }
    try {
      RingEvent event = ring.get(sequence);
      event.kind = RingEvent.BARRIER;
      event.checkpointId = checkpointId;
      event.snapshot = result;
    } finally {
      ring.publish(sequence);
    }
    return result;
  }

  /**
   * Called by the ticker: the processing thread re-evaluates the watermark. Skipped while the ring
   * is full: the ticker serves every group, and records in the ring move the clock anyway.
   */
  public void tick() {
    ring.tryPublishEvent((event, sequence) -> event.kind = RingEvent.TICK);
  }

  /**
   * Unregisters the gauges bound to this group's objects, so a group replacing it (regrouping)
   * registers its own; counters and timers are shared by id and keep counting.
   */
  public void removeGauges(MeterRegistry meters) {
    meters.remove(occupancy);
    meters.remove(ringBytesGauge);
    meters.remove(core.watermarkGauge());
  }

  /** Processes what is in the ring, then stops the thread and closes the writers. */
  public boolean stop(Duration timeout) {
    stopping = true;
    try {
      disruptor.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      disruptor.halt();
      return false;
    }
  }

  private final class Handler implements EventHandler<RingEvent> {
    @Override
    public void onBatchStart(long batchSize, long queueDepth) {
      core.startBatch();
    }

    @Override
    public void onEvent(RingEvent event, long sequence, boolean endOfBatch) throws Exception {
      if (event.kind == RingEvent.RECORDS) {
        recordsInRing.add(-event.batch.size);
        bytesInRing.addAndGet(-event.batch.bytes());
      }
      try {
        if (failed) {
          if (event.kind == RingEvent.BARRIER) {
            event.snapshot.completeExceptionally(
                new SluiceException("slot group " + index + " has failed"));
          }
          return;
        }
        switch (event.kind) {
          case RingEvent.RECORDS -> {
            RecordBatch b = event.batch;
            for (int i = 0; i < b.size; i++) {
              core.onRecord(b, i);
            }
          }
          case RingEvent.BARRIER -> {
            long started = System.nanoTime();
            GroupSnapshot snapshot;
            try {
              snapshot = core.onBarrier(event.checkpointId);
            } catch (Throwable t) {
              event.snapshot.completeExceptionally(t); // the coordinator must not wait for it
              throw t;
            }
            barrierStall.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            event.snapshot.complete(snapshot);
          }
          case RingEvent.TICK -> core.onTick();
          default -> {}
        }
      } finally {
        event.clear();
      }
    }

    @Override
    public void onShutdown() {
      core.closeWriters();
    }
  }

  private final class FailOnError implements ExceptionHandler<RingEvent> {
    @Override
    public void handleEventException(Throwable ex, long sequence, RingEvent event) {
      failed = true;
      onFailure.accept(ex);
    }

    @Override
    public void handleOnStartException(Throwable ex) {
      failed = true;
      onFailure.accept(ex);
    }

    @Override
    public void handleOnShutdownException(Throwable ex) {
      LoggerFactory.getLogger(ProcessingGroup.class)
          .warn("[{}] slot group {} shutdown failed", appName, index, ex);
    }
  }
}
