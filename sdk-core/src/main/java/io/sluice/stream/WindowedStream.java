package io.sluice.stream;

import io.sluice.internal.graph.StreamNode;
import io.sluice.state.Serde;
import io.sluice.window.AggregateFunction;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BinaryOperator;
import java.util.function.Function;

/**
 * A keyed stream cut into event-time windows.
 *
 * <pre>{@code
 * WindowedStream<String, Click> hourly =
 *     clicks.keyBy(Click::experiment, Serde.strings())
 *           .window(WindowAssigner.tumbling(Duration.ofHours(1)))
 *           .allowedLateness(Duration.ofMinutes(5));
 * DataStream<Click> late = hourly.lateRecords();
 * DataStream<WindowResult<String, Stats>> rows = hourly.aggregate(new StatsAgg(), Serde.json(Stats.class));
 * }</pre>
 *
 * <p>Semantics: a window's result is emitted exactly once, when the slot group's watermark passes
 * {@code windowEnd - 1 + allowedLateness}; its accumulator lives in RocksDB until then (restored
 * exactly after a crash). An element whose every window was already emitted is late: it goes to
 * {@link #lateRecords()} if that was asked for, and is counted otherwise.
 */
public final class WindowedStream<K, T> {
  private final StreamNode<T> node;
  private final Function<? super T, K> keyFunction;
  private final Serde<K> keySerde;
  private final WindowAssigner assigner;
  private long allowedLatenessMillis;
  private StreamNode<T> late;

  WindowedStream(
      StreamNode<T> node,
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      WindowAssigner assigner) {
    this.node = node;
    this.keyFunction = keyFunction;
    this.keySerde = keySerde;
    this.assigner = assigner;
  }

  /** How long after a window's end to wait for stragglers before emitting it (default 0). */
  public WindowedStream<K, T> allowedLateness(Duration lateness) {
    Objects.requireNonNull(lateness, "lateness must not be null");
    if (lateness.isNegative()) {
      throw new IllegalArgumentException(
          "Invalid allowed lateness " + lateness.toMillis() + " ms: must be at least 0 ms");
    }
    this.allowedLatenessMillis = lateness.toMillis();
    return this;
  }

  /** The side output of late elements; call before {@link #aggregate}. */
  public DataStream<T> lateRecords() {
    if (late == null) {
      late = node.sibling();
    }
    return new DataStream<>(late);
  }

  public <A, R> DataStream<WindowResult<K, R>> aggregate(
      AggregateFunction<T, A, R> function, Serde<A> accumulatorSerde) {
    Objects.requireNonNull(function, "function must not be null");
    Objects.requireNonNull(accumulatorSerde, "accumulatorSerde must not be null");
    return new DataStream<>(
        node.windowAggregate(
            keyFunction,
            keySerde,
            assigner,
            allowedLatenessMillis,
            function,
            accumulatorSerde,
            late));
  }

  /** Combines the elements of each window pairwise (also works for session windows). */
  public DataStream<WindowResult<K, T>> reduce(BinaryOperator<T> reducer, Serde<T> serde) {
    Objects.requireNonNull(reducer, "reducer must not be null");
    return aggregate(
        new AggregateFunction<T, T, T>() {
          @Override
          public T createAccumulator() {
            return null;
          }

          @Override
          public T add(T value, T accumulator) {
            return accumulator == null ? value : reducer.apply(accumulator, value);
          }

          @Override
          public T getResult(T accumulator) {
            return accumulator;
          }

          @Override
          public T merge(T a, T b) {
            return a == null ? b : b == null ? a : reducer.apply(a, b);
          }
        },
        serde);
  }
}
