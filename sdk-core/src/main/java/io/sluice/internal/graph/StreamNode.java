package io.sluice.internal.graph;

import io.sluice.errors.ConfigException;
import io.sluice.function.Collector;
import io.sluice.function.KeyedProcessFunction;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.state.Serde;
import io.sluice.window.AggregateFunction;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A node of the job graph as the user declared it. {@link #compile} turns the subtree into an
 * operator chain for one slot group (one instance per group, so operators keep no shared state).
 */
public final class StreamNode<T> {
  private final JobGraph graph;
  private final List<Function<GroupServices, Emitter<T>>> children = new ArrayList<>();

  public StreamNode(JobGraph graph) {
    this.graph = graph;
  }

  void add(Function<GroupServices, Emitter<T>> child) {
    graph.checkOpen();
    children.add(child);
  }

  public Emitter<T> compile(GroupServices group) {
    List<Emitter<T>> built = new ArrayList<>();
    for (Function<GroupServices, Emitter<T>> child : children) {
      built.add(child.apply(group));
    }
    if (built.isEmpty()) {
      return value -> {};
    }
    if (built.size() == 1) {
      return built.get(0);
    }
    return value -> {
      for (Emitter<T> e : built) {
        e.emit(value);
      }
    };
  }

  public <R> StreamNode<R> map(Function<? super T, ? extends R> function) {
    StreamNode<R> next = new StreamNode<>(graph);
    add(
        group -> {
          Emitter<R> down = next.compile(group);
          return value -> {
            R result = function.apply(value);
            if (result == null) {
              throw new NullPointerException(
                  "map function returned null for " + value + "; use filter() to drop records");
            }
            down.emit(result);
          };
        });
    return next;
  }

  public StreamNode<T> filter(Predicate<? super T> predicate) {
    StreamNode<T> next = new StreamNode<>(graph);
    add(
        group -> {
          Emitter<T> down = next.compile(group);
          return value -> {
            if (predicate.test(value)) {
              down.emit(value);
            }
          };
        });
    return next;
  }

  public <R> StreamNode<R> flatMap(BiConsumer<? super T, Collector<R>> function) {
    StreamNode<R> next = new StreamNode<>(graph);
    add(
        group -> {
          Emitter<R> down = next.compile(group);
          Collector<R> out = collectorOf(down);
          return value -> function.accept(value, out);
        });
    return next;
  }

  public void forEach(Consumer<? super T> action) {
    add(group -> action::accept);
  }

  public <K, R> StreamNode<R> keyedProcess(
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      KeyedProcessFunction<K, T, R> function) {
    int operatorId = graph.nextOperatorId();
    StreamNode<R> next = new StreamNode<>(graph);
    add(
        group -> {
          Emitter<R> down = next.compile(group);
          Collector<R> out = collectorOf(down);
          KeyedTimers timers = new KeyedTimers(group, operatorId);
          KeyedContextImpl<K> ctx = new KeyedContextImpl<>(group, timers);
          KeyedTimers.Due due =
              (time, keyBytes) -> {
                ctx.setCurrentKey(keySerde.deserialize(keyBytes), keyBytes);
                long saved = group.currentEventTime();
                group.setCurrentEventTime(time);
                try {
                  function.onTimer(time, ctx, out);
                } finally {
                  group.setCurrentEventTime(saved);
                }
              };
          group.onWatermark(wm -> timers.fire(KeyedTimers.Domain.EVENT_TIME, wm, due));
          group.onTick(now -> timers.fire(KeyedTimers.Domain.PROCESSING_TIME, now, due));
          return value -> {
            K key = keyFunction.apply(value);
            if (key == null) {
              throw new NullPointerException("keyBy function returned null for " + value);
            }
            ctx.setCurrentKey(key, keySerde.serialize(key));
            function.process(value, ctx, out);
          };
        });
    return next;
  }

  /**
   * The node keyed operators over {@code keyFunction} hang off. In an app of one shard, or when the
   * input is already partitioned by the key, this node; in a sharded app, the stream repartitioned
   * by key through a Pulsar topic ({@link Repartition}), which needs {@code valueSerde}.
   */
  public <K> StreamNode<T> byKey(
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      Serde<T> valueSerde,
      boolean inputPartitionedByKey) {
    if (graph.shards() <= 1 || inputPartitionedByKey) {
      return this;
    }
    if (valueSerde == null) {
      throw new ConfigException(
          "keyBy in the sharded app "
              + graph.app()
              + " needs its records repartitioned by key, so that each key's state sits in one"
              + " shard: give the records' serde, keyBy(key, keySerde, valueSerde), or, if every"
              + " input topic is already partitioned by this key (a key's records in the same"
              + " partition number of each topic), declare it with"
              + " keyBy(key, keySerde).inputPartitionedByKey()");
    }
    return Repartition.insert(graph, this, keyFunction, keySerde, valueSerde);
  }

  /** Sets each element's event time (and feeds it to its partition's watermark). */
  public StreamNode<T> assignTimestamps(ToLongFunction<? super T> timestamps) {
    StreamNode<T> next = new StreamNode<>(graph);
    add(
        group -> {
          Emitter<T> down = next.compile(group);
          return value -> {
            long ts = timestamps.applyAsLong(value);
            group.setCurrentEventTime(ts);
            group.observeEventTime(ts);
            down.emit(value);
          };
        });
    return next;
  }

  /** A keyed window aggregation; {@code late} (may be null) receives elements too late for it. */
  public <K, A, R> StreamNode<WindowResult<K, R>> windowAggregate(
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      WindowAssigner assigner,
      long allowedLatenessMillis,
      AggregateFunction<T, A, R> function,
      Serde<A> accumulatorSerde,
      StreamNode<T> late) {
    StreamNode<WindowResult<K, R>> next = new StreamNode<>(graph);
    int operatorId = graph.nextOperatorId();
    add(
        group -> {
          Emitter<WindowResult<K, R>> down = next.compile(group);
          Emitter<T> lateOut = late == null ? null : late.compile(group);
          WindowOperator<K, T, A, R> op =
              new WindowOperator<>(
                  operatorId,
                  keyFunction,
                  keySerde,
                  assigner,
                  allowedLatenessMillis,
                  function,
                  accumulatorSerde,
                  group,
                  down,
                  lateOut);
          group.onWatermark(op::onWatermark);
          return op;
        });
    return next;
  }

  /**
   * A node fed by this node and by {@code others}. Each parent compiles its own edge into the one
   * shared downstream chain of its slot group (a chain is compiled once per group and cached).
   */
  public StreamNode<T> union(List<StreamNode<T>> others) {
    StreamNode<T> next = new StreamNode<>(graph);
    Map<GroupServices, Emitter<T>> compiled = new IdentityHashMap<>();
    Function<GroupServices, Emitter<T>> edge =
        group -> compiled.computeIfAbsent(group, next::compile);
    add(edge);
    for (StreamNode<T> other : others) {
      if (other.graph != graph) {
        throw new IllegalArgumentException("union of streams from different apps");
      }
      other.add(edge);
    }
    return next;
  }

  /** A node fed from elsewhere (a side output); it is compiled by its owner. */
  public StreamNode<T> sibling() {
    return new StreamNode<>(graph);
  }

  public <R> StreamNode<R> newNode() {
    return new StreamNode<>(graph);
  }

  public void sinkTo(Sink<T> sink) {
    graph.registerSink(sink);
    add(
        group -> {
          SinkWriter<T> writer = group.writer(sink);
          return writer::write;
        });
  }

  private static <R> Collector<R> collectorOf(Emitter<R> down) {
    return value -> {
      try {
        down.emit(value);
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new OperatorException(e);
      }
    };
  }

  /** Carries a checked exception through a {@link Collector}; unwrapped by the runtime. */
  public static final class OperatorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OperatorException(Exception cause) {
      super(cause);
    }
  }
}
