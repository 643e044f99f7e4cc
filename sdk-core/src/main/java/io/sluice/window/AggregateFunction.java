package io.sluice.window;

/**
 * Incremental aggregation of a window: the accumulator is kept in RocksDB per key and window, and
 * restored exactly on recovery.
 *
 * @param <IN> element type
 * @param <ACC> accumulator type (serialised with the serde given to {@code aggregate})
 * @param <OUT> result type
 */
public interface AggregateFunction<IN, ACC, OUT> {
  ACC createAccumulator();

  ACC add(IN value, ACC accumulator);

  OUT getResult(ACC accumulator);

  /** Combines two accumulators; needed by session windows, which merge. */
  default ACC merge(ACC a, ACC b) {
    throw new UnsupportedOperationException(
        getClass().getName() + " does not implement merge(), which session windows need");
  }
}
