package io.sluice.stream;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;

/** Keyed state of the record being processed. State is checkpointed and restored exactly. */
public interface KeyedContext<K> {
  K currentKey();

  /** The named value state of the current key; the same name always needs the same serde. */
  <V> ValueState<V> valueState(String name, Serde<V> serde);

  <MK, V> MapState<MK, V> mapState(String name, Serde<MK> keySerde, Serde<V> valueSerde);
}
