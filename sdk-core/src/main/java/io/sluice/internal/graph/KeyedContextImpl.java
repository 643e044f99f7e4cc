package io.sluice.internal.graph;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.stream.KeyedContext;
import java.util.HashMap;
import java.util.Map;

final class KeyedContextImpl<K> implements KeyedContext<K> {
  private final KeyedStateBackend backend;
  private final Map<String, Object> handles = new HashMap<>();
  private K currentKey;

  KeyedContextImpl(KeyedStateBackend backend) {
    this.backend = backend;
  }

  void setCurrentKey(K key, byte[] keyBytes) {
    this.currentKey = key;
    backend.setCurrentKey(keyBytes);
  }

  @Override
  public K currentKey() {
    return currentKey;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <V> ValueState<V> valueState(String name, Serde<V> serde) {
    return (ValueState<V>)
        handles.computeIfAbsent("v:" + name, n -> backend.valueState(name, serde));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <MK, V> MapState<MK, V> mapState(String name, Serde<MK> keySerde, Serde<V> valueSerde) {
    return (MapState<MK, V>)
        handles.computeIfAbsent("m:" + name, n -> backend.mapState(name, keySerde, valueSerde));
  }
}
