package io.sluice.stream;

import io.sluice.function.Collector;
import io.sluice.internal.graph.StreamNode;
import io.sluice.lookup.LookupTable;
import io.sluice.sink.Sink;
import io.sluice.state.Serde;
import io.sluice.stream.internal.Streams;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A stream of records flowing through a slot group's processing thread. Functions run on that
 * thread, one record at a time, in partition order; an exception fails the app.
 *
 * <pre>{@code
 * app.stream(PulsarSource.topics("orders"))
 *    .map(r -> mapper.readValue(r.value(), Order.class))
 *    .filter(o -> o.amount() > 0)
 *    .sinkTo(sink);
 * }</pre>
 */
public final class DataStream<T> {
  static {
    // the runtime creates streams through Streams, so the constructor below need not be public
    Streams.setAccess(node -> new DataStream<>(node));
  }

  private final StreamNode<T> node;

  DataStream(StreamNode<T> node) {
    this.node = node;
  }

  /** {@code function} must not return {@code null}; use {@link #filter} to drop records. */
  public <R> DataStream<R> map(Function<? super T, ? extends R> function) {
    Objects.requireNonNull(function, "function must not be null");
    return new DataStream<>(node.map(function));
  }

  public DataStream<T> filter(Predicate<? super T> predicate) {
    Objects.requireNonNull(predicate, "predicate must not be null");
    return new DataStream<>(node.filter(predicate));
  }

  /** Emits zero or more results per record through the collector. */
  public <R> DataStream<R> flatMap(BiConsumer<? super T, Collector<R>> function) {
    Objects.requireNonNull(function, "function must not be null");
    return new DataStream<>(node.flatMap(function));
  }

  /** A terminal side effect per record (not part of exactly-once: use a sink for output). */
  public void forEach(Consumer<? super T> action) {
    Objects.requireNonNull(action, "action must not be null");
    node.forEach(action);
  }

  /**
   * Takes each element's event time from {@code timestamps} (instead of the message's event or
   * publish time) for the windows downstream and for its partition's watermark.
   */
  public DataStream<T> assignTimestamps(ToLongFunction<? super T> timestamps) {
    Objects.requireNonNull(timestamps, "timestamps must not be null");
    return new DataStream<>(node.assignTimestamps(timestamps));
  }

  /**
   * Partitions the stream by key for keyed state, windows and timers. A sharded app needs the
   * records' serde to repartition them ({@link #keyBy(Function, Serde, Serde)}) unless the input is
   * declared partitioned by the key ({@link KeyedStream#inputPartitionedByKey()}); a keyed
   * operation on it is refused otherwise, naming both.
   */
  public <K> KeyedStream<K, T> keyBy(Function<? super T, K> keyFunction, Serde<K> keySerde) {
    Objects.requireNonNull(keyFunction, "keyFunction must not be null");
    Objects.requireNonNull(keySerde, "keySerde must not be null");
    return new KeyedStream<>(node, keyFunction, keySerde, null, false);
  }

  /**
   * Partitions the stream by key; in a sharded app the records are repartitioned through a Pulsar
   * topic, serialized with {@code valueSerde}, so all of a key's records reach one shard (see
   * {@link KeyedStream}).
   */
  public <K> KeyedStream<K, T> keyBy(
      Function<? super T, K> keyFunction, Serde<K> keySerde, Serde<T> valueSerde) {
    Objects.requireNonNull(keyFunction, "keyFunction must not be null");
    Objects.requireNonNull(keySerde, "keySerde must not be null");
    Objects.requireNonNull(valueSerde, "valueSerde must not be null");
    return new KeyedStream<>(node, keyFunction, keySerde, valueSerde, false);
  }

  /**
   * Enriches each element with a row of an offline table (see {@link LookupTable}); {@code join}
   * gets {@code null} when the table has no row for the key.
   */
  public <K, V, R> DataStream<R> lookupJoin(
      LookupTable<K, V> table,
      Function<? super T, K> key,
      BiFunction<? super T, ? super V, ? extends R> join) {
    Objects.requireNonNull(table, "table must not be null");
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(join, "join must not be null");
    return map(value -> join.apply(value, table.get(key.apply(value))));
  }

  /**
   * Merges this stream with others of the same type into one (e.g. many event topics into one
   * wide-table aggregation). Each source keeps its partition order; the merged order interleaves.
   */
  @SafeVarargs
  public final DataStream<T> union(DataStream<T>... others) {
    Objects.requireNonNull(others, "others must not be null");
    List<StreamNode<T>> nodes = new ArrayList<>();
    for (DataStream<T> other : others) {
      nodes.add(Objects.requireNonNull(other, "others must not contain null").node);
    }
    return new DataStream<>(node.union(nodes));
  }

  /** Writes every record to {@code sink}, exactly once. */
  public void sinkTo(Sink<T> sink) {
    Objects.requireNonNull(sink, "sink must not be null");
    node.sinkTo(sink);
  }
}
