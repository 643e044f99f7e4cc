package io.sluice.stream;

import io.sluice.internal.graph.StreamNode;
import io.sluice.state.Serde;
import java.util.Objects;
import java.util.function.Function;

/** A stream partitioned by key: functions on it get that key's state. */
public final class KeyedStream<K, T> {
  private final StreamNode<T> node;
  private final Function<? super T, K> keyFunction;
  private final Serde<K> keySerde;

  KeyedStream(StreamNode<T> node, Function<? super T, K> keyFunction, Serde<K> keySerde) {
    this.node = node;
    this.keyFunction = keyFunction;
    this.keySerde = keySerde;
  }

  /** Groups each key's elements into event-time windows. */
  public WindowedStream<K, T> window(io.sluice.window.WindowAssigner assigner) {
    Objects.requireNonNull(assigner, "assigner must not be null");
    return new WindowedStream<>(node, keyFunction, keySerde, assigner);
  }

  public <R> DataStream<R> process(KeyedProcessFunction<K, T, R> function) {
    Objects.requireNonNull(function, "function must not be null");
    return new DataStream<>(node.keyedProcess(keyFunction, keySerde, function));
  }
}
