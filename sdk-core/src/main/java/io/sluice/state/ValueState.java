package io.sluice.state;

/**
 * One value per key, kept in RocksDB and restored exactly on recovery. Bound to the key of the
 * record being processed; use it only on the processing thread that handed it to you.
 */
public interface ValueState<V> {
  /** The value for the current key, or {@code null}. */
  V value();

  void update(V value);

  void clear();
}
