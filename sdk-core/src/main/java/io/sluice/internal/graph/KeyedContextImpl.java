package io.sluice.internal.graph;

import io.sluice.function.KeyedContext;
import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.state.internal.KeyedStateBackend;
import java.util.HashMap;
import java.util.Map;

final class KeyedContextImpl<K> implements KeyedContext<K> {
  private final KeyedStateBackend backend;
  private final Map<String, Object> handles = new HashMap<>();
  private K currentKey;

  private final GroupServices group;
  private final KeyedTimers timers;
  private byte[] currentKeyBytes;

  KeyedContextImpl(GroupServices group, KeyedTimers timers) {
    this.backend = group.keyedState();
    this.group = group;
    this.timers = timers;
  }

  void setCurrentKey(K key, byte[] keyBytes) {
    this.currentKey = key;
    this.currentKeyBytes = keyBytes;
    backend.setCurrentKey(keyBytes);
  }

  @Override
  public long currentWatermark() {
    return group.currentWatermark();
  }

  @Override
  public long currentProcessingTime() {
    return group.currentProcessingTime();
  }

  @Override
  public void registerEventTimeTimer(long timestamp) {
    timers.register(KeyedTimers.Domain.EVENT_TIME, timestamp, currentKeyBytes);
  }

  @Override
  public void deleteEventTimeTimer(long timestamp) {
    timers.delete(KeyedTimers.Domain.EVENT_TIME, timestamp, currentKeyBytes);
  }

  @Override
  public void registerProcessingTimeTimer(long timestamp) {
    timers.register(KeyedTimers.Domain.PROCESSING_TIME, timestamp, currentKeyBytes);
  }

  @Override
  public void deleteProcessingTimeTimer(long timestamp) {
    timers.delete(KeyedTimers.Domain.PROCESSING_TIME, timestamp, currentKeyBytes);
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
