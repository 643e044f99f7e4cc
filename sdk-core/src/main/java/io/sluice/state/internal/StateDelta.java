package io.sluice.state.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * Keyed-state changes made since the last checkpoint, written to RocksDB in the checkpoint's atomic
 * batch. A value of {@link #TOMBSTONE} (compared by identity) deletes the key.
 */
public final class StateDelta {
  /** Marks a deleted key. Compared by identity, so a real empty value is never mistaken for it. */
  public static final byte[] TOMBSTONE = new byte[0];

  private final Map<Bytes, byte[]> changes = new HashMap<>();

  public void put(Bytes key, byte[] value) {
    changes.put(key, value);
  }

  public void delete(Bytes key) {
    changes.put(key, TOMBSTONE);
  }

  /** The change for {@code key}: a value, {@link #TOMBSTONE}, or {@code null} if untouched. */
  public byte[] lookup(Bytes key) {
    return changes.get(key);
  }

  public Map<Bytes, byte[]> changes() {
    return changes;
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  public int size() {
    return changes.size();
  }
}
