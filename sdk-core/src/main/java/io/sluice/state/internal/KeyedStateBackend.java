package io.sluice.state.internal;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Keyed state of one processing thread: reads go to the changes since the last checkpoint first,
 * then to changes handed to a checkpoint not yet written, then to RocksDB.
 *
 * <pre>
 *   live delta ──snapshot()──▶ in-flight deltas ──written()──▶ (dropped: RocksDB has them)
 * </pre>
 *
 * <p>Owned by its processing thread. {@link #written(StateDelta)} may be called by the checkpoint
 * coordinator once the checkpoint batch holding the delta is durable; the in-flight deltas are
 * immutable by then.
 */
public final class KeyedStateBackend {
  private final StateStore store;
  private final Deque<StateDelta> inFlight = new ConcurrentLinkedDeque<>();
  private StateDelta live = new StateDelta();
  private byte[] currentKey;

  private final byte[] namespace;
  private byte[] scope = new byte[0];

  public KeyedStateBackend(StateStore store) {
    this(store, new byte[0]);
  }

  /**
   * A backend whose keys are prefixed with {@code namespace}, so several slot groups can share one
   * store without seeing each other's state.
   */
  public KeyedStateBackend(StateStore store, byte[] namespace) {
    this.store = Objects.requireNonNull(store, "store must not be null");
    this.namespace = Objects.requireNonNull(namespace, "namespace must not be null").clone();
  }

  /**
   * Sets the scope that state handles refer to until the next call: state written in one scope is
   * invisible in another, for every state name and key. Automatic slot groups scope state by source
   * topic, so a topic can move to another group (sharing this namespace) with its state. Empty (the
   * default): no scope.
   */
  public void setScope(byte[] scope) {
    this.scope = scope;
  }

  public byte[] scope() {
    return scope;
  }

  /** The encoded scope of {@code name} (e.g. a topic): marker byte, length, bytes. */
  public static byte[] scopeOf(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(3 + n.length)
        .put((byte) 1)
        .putShort((short) n.length)
        .put(n)
        .array();
  }

  /** Sets the key that state handles refer to until the next call. */
  public void setCurrentKey(byte[] key) {
    this.currentKey = key;
  }

  public byte[] currentKey() {
    return currentKey;
  }

  /** Hands the changes since the last snapshot to a checkpoint; reads still see them. */
  public StateDelta snapshot() {
    StateDelta taken = live;
    live = new StateDelta();
    inFlight.addFirst(taken);
    return taken;
  }

  /** The checkpoint holding {@code delta} is durable: RocksDB now answers for it. */
  public void written(StateDelta delta) {
    inFlight.removeIf(d -> d == delta);
  }

  /** Number of keys changed since the last snapshot (a gauge for memory use). */
  public int liveChanges() {
    return live.size();
  }

  public <V> ValueState<V> valueState(String name, Serde<V> serde) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(serde, "serde must not be null");
    byte[] prefix = namePrefix(name);
    return new ValueState<>() {
      @Override
      public V value() {
        byte[] raw = read(new Bytes(key(prefix, requireKey(), null)));
        return raw == null ? null : serde.deserialize(raw);
      }

      @Override
      public void update(V value) {
        if (value == null) {
          clear();
          return;
        }
        live.put(new Bytes(key(prefix, requireKey(), null)), serde.serialize(value));
      }

      @Override
      public void clear() {
        live.delete(new Bytes(key(prefix, requireKey(), null)));
      }
    };
  }

  public <K, V> MapState<K, V> mapState(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(keySerde, "keySerde must not be null");
    Objects.requireNonNull(valueSerde, "valueSerde must not be null");
    byte[] prefix = namePrefix(name);
    return new MapState<>() {
      private Bytes entryKey(K mapKey) {
        return new Bytes(key(prefix, requireKey(), keySerde.serialize(mapKey)));
      }

      @Override
      public V get(K mapKey) {
        byte[] raw = read(entryKey(mapKey));
        return raw == null ? null : valueSerde.deserialize(raw);
      }

      @Override
      public void put(K mapKey, V value) {
        Objects.requireNonNull(value, "value must not be null (use remove)");
        live.put(entryKey(mapKey), valueSerde.serialize(value));
      }

      @Override
      public void remove(K mapKey) {
        live.delete(entryKey(mapKey));
      }

      @Override
      public boolean contains(K mapKey) {
        return read(entryKey(mapKey)) != null;
      }

      @Override
      public Map<K, V> entries() {
        byte[] keyPrefix = key(prefix, requireKey(), new byte[0]);
        Map<K, V> out = new LinkedHashMap<>();
        for (Map.Entry<Bytes, byte[]> e : merged(keyPrefix).entrySet()) {
          byte[] full = e.getKey().get();
          byte[] mapKey = new byte[full.length - keyPrefix.length];
          System.arraycopy(full, keyPrefix.length, mapKey, 0, mapKey.length);
          out.put(keySerde.deserialize(mapKey), valueSerde.deserialize(e.getValue()));
        }
        return out;
      }

      @Override
      public void clear() {
        byte[] keyPrefix = key(prefix, requireKey(), new byte[0]);
        for (Bytes k : merged(keyPrefix).keySet()) {
          live.delete(k);
        }
      }
    };
  }

  private byte[] requireKey() {
    if (currentKey == null) {
      throw new IllegalStateException(
          "keyed state used outside a keyed context: call it from a function after keyBy(...)");
    }
    return currentKey;
  }

  private byte[] read(Bytes key) {
    byte[] value = live.lookup(key);
    if (value == null) {
      for (StateDelta d : inFlight) {
        value = d.lookup(key);
        if (value != null) {
          break;
        }
      }
    }
    if (value == null) {
      return store.getState(key.get());
    }
    return value == StateDelta.TOMBSTONE ? null : value;
  }

  private Map<Bytes, byte[]> merged(byte[] keyPrefix) {
    Map<Bytes, byte[]> merged = new HashMap<>(store.scanState(keyPrefix));
    List<StateDelta> layers = new ArrayList<>();
    for (Iterator<StateDelta> it = inFlight.descendingIterator(); it.hasNext(); ) {
      layers.add(it.next());
    }
    layers.add(live);
    for (StateDelta layer : layers) {
      for (Map.Entry<Bytes, byte[]> e : layer.changes().entrySet()) {
        if (e.getKey().startsWith(keyPrefix)) {
          if (e.getValue() == StateDelta.TOMBSTONE) {
            merged.remove(e.getKey());
          } else {
            merged.put(e.getKey(), e.getValue());
          }
        }
      }
    }
    return merged;
  }

  /**
   * Length and bytes of a state name. Names are shorter than 256 bytes, so an unscoped key's first
   * byte after the namespace is 0 and never the scope marker 1.
   */
  private static byte[] namePrefix(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    if (n.length > 255) {
      throw new IllegalArgumentException(
          "state name too long (" + n.length + " bytes; at most 255): " + name);
    }
    return ByteBuffer.allocate(2 + n.length).putShort((short) n.length).put(n).array();
  }

  /**
   * namespace + scope + name prefix + key length + key (+ map key): a map's entries share a prefix.
   */
  private byte[] key(byte[] prefix, byte[] key, byte[] mapKey) {
    int mapLen = mapKey == null ? 0 : mapKey.length;
    return ByteBuffer.allocate(
            namespace.length
                + scope.length
                + prefix.length
                + 4
                + key.length
                + mapLen
                + (mapKey == null ? 0 : 1))
        .put(namespace)
        .put(scope)
        .put(prefix)
        .putInt(key.length)
        .put(key)
        .put(mapKey == null ? new byte[0] : new byte[] {1})
        .put(mapKey == null ? new byte[0] : mapKey)
        .array();
  }
}
