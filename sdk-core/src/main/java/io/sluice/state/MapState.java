package io.sluice.state;

import java.util.Map;

/**
 * A map per key, kept in RocksDB and restored exactly on recovery. Bound to the key of the record
 * being processed; use it only on the processing thread that handed it to you.
 */
public interface MapState<K, V> {
  V get(K mapKey);

  void put(K mapKey, V value);

  void remove(K mapKey);

  boolean contains(K mapKey);

  /** Every entry of the current key's map (a copy: safe to mutate the state while iterating). */
  Map<K, V> entries();

  void clear();
}
