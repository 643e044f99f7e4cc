package io.sluice.stream;

import io.sluice.function.KeyedProcessFunction;
import io.sluice.internal.graph.StreamNode;
import io.sluice.state.Serde;
import io.sluice.window.WindowAssigner;
import java.util.Objects;
import java.util.function.Function;

/**
 * A stream partitioned by key: functions on it get that key's state.
 *
 * <p>In a sharded app ({@code Sluice.Builder.shards}) each shard holds the state of the keys it
 * reads, so all of a key's records must reach one shard. Unless the input is declared partitioned
 * by the key ({@link #inputPartitionedByKey()}), the records are repartitioned through a Pulsar
 * topic under the checkpoints (exactly once; one checkpoint interval of added latency), for which
 * {@link DataStream#keyBy(Function, Serde, Serde)} gives the records' serde. An app that is not
 * sharded never repartitions.
 */
public final class KeyedStream<K, T> {
  private final StreamNode<T> node;
  private final Function<? super T, K> keyFunction;
  private final Serde<K> keySerde;
  private final Serde<T> valueSerde;
  private final boolean inputPartitionedByKey;
  private StreamNode<T> keyed; // the node keyed operators hang off, once one is added

  KeyedStream(
      StreamNode<T> node,
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      Serde<T> valueSerde,
      boolean inputPartitionedByKey) {
    this.node = node;
    this.keyFunction = keyFunction;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.inputPartitionedByKey = inputPartitionedByKey;
  }

  /**
   * Declares that every input topic is partitioned by this key (a key's records are in the same
   * partition number of each topic, e.g. produced with this key as the message key and the same
   * partition count), so a sharded app needs no repartitioning. If that is not true, a key's state
   * is split between shards and its results are wrong.
   */
  public KeyedStream<K, T> inputPartitionedByKey() {
    return new KeyedStream<>(node, keyFunction, keySerde, valueSerde, true);
  }

  /** Groups each key's elements into event-time windows. */
  public WindowedStream<K, T> window(WindowAssigner assigner) {
    Objects.requireNonNull(assigner, "assigner must not be null");
    return new WindowedStream<>(keyed(), keyFunction, keySerde, assigner);
  }

  public <R> DataStream<R> process(KeyedProcessFunction<K, T, R> function) {
    Objects.requireNonNull(function, "function must not be null");
    return new DataStream<>(keyed().keyedProcess(keyFunction, keySerde, function));
  }

  private StreamNode<T> keyed() {
    if (keyed == null) {
      keyed = node.byKey(keyFunction, keySerde, valueSerde, inputPartitionedByKey);
    }
    return keyed;
  }
}
