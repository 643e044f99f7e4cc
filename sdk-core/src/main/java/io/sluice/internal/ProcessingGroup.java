package io.sluice.internal;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.SluiceException;
import io.sluice.internal.graph.Emitter;
import io.sluice.internal.graph.GroupServices;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.graph.StreamNode;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.source.SourceRecord;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateDelta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;

/**
 * A slot group: one Disruptor ring fed by the readers of its partitions, and one processing thread
 * that runs the operator chains, the keyed state and the sink writers.
 *
 * <p>Thread ownership: reader listener threads only call {@link #publish}; the coordinator only
 * calls {@link #barrier}; everything else here (positions, keyed state, writers) belongs to the
 * processing thread. A full ring blocks {@link #publish}, which stops the readers' listeners and,
 * through their bounded receiver queues, the broker: memory stays bounded.
 *
 * <p>Barrier handling (on the processing thread, never waiting on I/O):
 *
 * <pre>
 *  barrier(cid) ─▶ writers.prepareCommit(cid)   (futures; a throw fails only this checkpoint)
 *              ─▶ keyed state delta swapped out (reads still see it until written)
 *              ─▶ copy of the last position of every partition
 *              ─▶ GroupSnapshot to the coordinator
 * </pre>
 */
final class ProcessingGroup implements GroupServices {
  private final int index;
  private final String appName;
  private final KeyedStateBackend backend;
  private final Disruptor<RingEvent> disruptor;
  private final RingBuffer<RingEvent> ring;
  private final Map<Integer, Emitter<Object>> chains = new HashMap<>();
  private final Map<String, SinkWriter<?>> writers = new LinkedHashMap<>();
  private final Map<String, MessageId> positions = new HashMap<>();
  private final BiFunction<Sink<?>, Integer, SinkContext> sinkContexts;
  private final Consumer<Throwable> onFailure;
  private final Counter duplicatesSkipped;
  private final Counter badRecords;
  private final Timer barrierStall;
  private volatile boolean failed;

  ProcessingGroup(
      int index,
      String appName,
      int ringSize,
      ThreadFactory threads,
      KeyedStateBackend backend,
      BiFunction<Sink<?>, Integer, SinkContext> sinkContexts,
      MeterRegistry meters,
      Consumer<Throwable> onFailure) {
    this.index = index;
    this.appName = appName;
    this.backend = backend;
    this.sinkContexts = sinkContexts;
    this.onFailure = onFailure;
    this.disruptor =
        new Disruptor<>(
            RingEvent::new, ringSize, threads, ProducerType.MULTI, new BlockingWaitStrategy());
    this.disruptor.handleEventsWith(new Handler());
    this.disruptor.setDefaultExceptionHandler(new FailOnError());
    this.ring = disruptor.getRingBuffer();
    String group = Integer.toString(index);
    Gauge.builder(
            "sluice.pipeline.ring.occupancy", ring, r -> r.getBufferSize() - r.remainingCapacity())
        .description("events waiting in the slot group's ring")
        .tag("app", appName)
        .tag("group", group)
        .register(meters);
    this.duplicatesSkipped =
        Counter.builder("sluice.source.redelivered.skipped")
            .description("messages at or before a partition's last processed position, dropped")
            .tag("app", appName)
            .tag("group", group)
            .register(meters);
    this.badRecords =
        Counter.builder("sluice.source.bad.records")
            .description("records a decoder could not read, skipped by policy")
            .tag("app", appName)
            .tag("group", group)
            .register(meters);
    this.barrierStall =
        Timer.builder("sluice.checkpoint.stall")
            .description("time the processing thread spent on a checkpoint barrier")
            .tag("app", appName)
            .tag("group", group)
            .publishPercentiles(0.5, 0.99, 1.0)
            .register(meters);
  }

  int index() {
    return index;
  }

  /** Compiles the operators of every source for this group; before {@link #start}. */
  void compile(JobGraph graph) {
    for (JobGraph.SourceBinding binding : graph.sources()) {
      @SuppressWarnings("unchecked")
      StreamNode<Object> root = (StreamNode<Object>) binding.root();
      chains.put(binding.index(), root.compile(this));
    }
  }

  /** Positions restored from a checkpoint, so re-delivered messages are recognised. */
  void restorePositions(Map<String, MessageId> restored) {
    positions.putAll(restored);
  }

  void start() {
    disruptor.start();
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

  /**
   * Called by reader listener threads; decodes (when the source has a decoder) before the ring, so
   * decoding runs in parallel across partitions. Blocks while the ring is full.
   */
  void publish(Message<byte[]> message, PartitionRef partition) {
    Object decoded = null;
    Throwable error = null;
    if (partition.decoder != null) {
      try {
        decoded = partition.decoder.decode(new SourceRecord(message, partition.topic));
        if (decoded == null) {
          error = new IllegalArgumentException("the decoder returned null");
        }
      } catch (Exception | StackOverflowError e) {
        error = e;
      }
    }
    Object value = decoded;
    Throwable failure = error;
    long sequence = ring.next();
    try {
      RingEvent event = ring.get(sequence);
      event.kind = RingEvent.RECORD;
      event.message = message;
      event.partition = partition;
      event.decoded = value;
      event.decodeError = failure;
    } finally {
      ring.publish(sequence);
    }
  }

  /** Called by the coordinator: the snapshot completes when the processing thread takes it. */
  CompletableFuture<GroupSnapshot> barrier(long checkpointId) {
    CompletableFuture<GroupSnapshot> result = new CompletableFuture<>();
    ring.publishEvent(
        (event, sequence, id, future) -> {
          event.kind = RingEvent.BARRIER;
          event.checkpointId = id;
          event.snapshot = future;
        },
        checkpointId,
        result);
    return result;
  }

  /** Processes what is in the ring, then stops the thread and closes the writers. */
  boolean stop(Duration timeout) {
    try {
      disruptor.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      disruptor.halt();
      return false;
    }
  }

  private void onRecord(RingEvent event) throws Exception {
    PartitionRef partition = event.partition;
    Message<byte[]> message = event.message;
    MessageId id = message.getMessageId();
    MessageId last = positions.get(partition.topic);
    if (last != null && id.compareTo(last) <= 0) {
      duplicatesSkipped.increment();
      return;
    }
    Emitter<Object> chain = chains.get(partition.sourceIndex);
    Object value;
    if (partition.decoder == null) {
      value = new SourceRecord(message, partition.topic);
    } else if (event.decodeError != null) {
      badRecord(partition, id, event.decodeError);
      positions.put(partition.topic, id);
      return;
    } else {
      value = event.decoded;
    }
    try {
      chain.emit(value);
    } catch (StreamNode.OperatorException e) {
      throw failure(partition, id, e.getCause());
    } catch (SluiceException e) {
      throw e;
    } catch (Exception e) {
      throw failure(partition, id, e);
    }
    positions.put(partition.topic, id);
    partition.lastPublishTime = message.getPublishTime();
    Counter in = partition.recordsIn;
    if (in != null) {
      in.increment();
    }
  }

  private void badRecord(PartitionRef partition, MessageId id, Throwable error) {
    String what =
        "Cannot decode the message "
            + id
            + " of "
            + partition.topic
            + " (partition "
            + partition.partitionIndex
            + "): "
            + error;
    if (partition.badRecordPolicy == io.sluice.source.BadRecordPolicy.FAIL) {
      throw new io.sluice.SourceException(
          what
              + ". Fix the producer or the decoder, or set"
              + " PulsarSource.onBadRecord(BadRecordPolicy.SKIP) to count and skip such records.",
          error);
    }
    badRecords.increment();
    org.slf4j.LoggerFactory.getLogger(ProcessingGroup.class)
        .warn("[{}] skipped (onBadRecord=SKIP): {}", appName, what);
  }

  private static SluiceException failure(PartitionRef partition, MessageId id, Throwable cause) {
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

  private void onBarrier(RingEvent event) {
    long started = System.nanoTime();
    List<GroupSnapshot.Prepared> prepared = new ArrayList<>();
    GroupSnapshot snapshot;
    try {
      for (Map.Entry<String, SinkWriter<?>> w : writers.entrySet()) {
        CompletableFuture<io.sluice.sink.Committable> c =
            w.getValue().prepareCommit(event.checkpointId);
        prepared.add(
            new GroupSnapshot.Prepared(
                w.getKey(), c == null ? CompletableFuture.completedFuture(null) : c));
      }
      StateDelta delta = backend.snapshot();
      snapshot =
          new GroupSnapshot(event.checkpointId, Map.copyOf(positions), delta, prepared, null);
    } catch (RuntimeException e) {
      snapshot = new GroupSnapshot(event.checkpointId, Map.of(), null, prepared, e);
    }
    barrierStall.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    event.snapshot.complete(snapshot);
  }

  private final class Handler implements EventHandler<RingEvent> {
    @Override
    public void onEvent(RingEvent event, long sequence, boolean endOfBatch) throws Exception {
      try {
        if (failed) {
          if (event.kind == RingEvent.BARRIER) {
            event.snapshot.completeExceptionally(
                new SluiceException("slot group " + index + " has failed"));
          }
          return;
        }
        if (event.kind == RingEvent.RECORD) {
          onRecord(event);
        } else if (event.kind == RingEvent.BARRIER) {
          onBarrier(event);
        }
      } finally {
        event.clear();
      }
    }

    @Override
    public void onShutdown() {
      for (Map.Entry<String, SinkWriter<?>> w : writers.entrySet()) {
        try {
          w.getValue().close();
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger(ProcessingGroup.class)
              .warn("[{}] closing writer of sink {} failed", appName, w.getKey(), e);
        }
      }
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
      org.slf4j.LoggerFactory.getLogger(ProcessingGroup.class)
          .warn("[{}] slot group {} shutdown failed", appName, index, ex);
    }
  }
}
