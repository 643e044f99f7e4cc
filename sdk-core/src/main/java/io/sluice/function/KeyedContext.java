package io.sluice.function;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;

/** Keyed state of the record being processed. State is checkpointed and restored exactly. */
public interface KeyedContext<K> {
  K currentKey();

  /** The named value state of the current key; the same name always needs the same serde. */
  <V> ValueState<V> valueState(String name, Serde<V> serde);

  <MK, V> MapState<MK, V> mapState(String name, Serde<MK> keySerde, Serde<V> valueSerde);

  /** The slot group's event-time watermark; {@code Long.MIN_VALUE} before the first. */
  long currentWatermark();

  /** Processing time now, epoch ms (the test driver's clock under {@code TestDriver}). */
  long currentProcessingTime();

  /**
   * Calls {@link KeyedProcessFunction#onTimer} for the current key once the watermark reaches
   * {@code timestamp}. A timer is kept in keyed state: checkpointed, and restored after a crash.
   * Registering the same time twice for a key makes one timer.
   */
  void registerEventTimeTimer(long timestamp);

  void deleteEventTimeTimer(long timestamp);

  /**
   * Calls {@link KeyedProcessFunction#onTimer} for the current key once processing time reaches
   * {@code timestamp} (checked every 100 ms; kept in keyed state like event-time timers).
   */
  void registerProcessingTimeTimer(long timestamp);

  void deleteProcessingTimeTimer(long timestamp);
}
