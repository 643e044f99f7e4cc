package io.sluice.internal.graph;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.KeyedStateBackend;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * Timers of one operator, kept in keyed state (checkpointed and restored with it) under a reserved
 * key of each state scope, and in one in-memory index sorted by time across the slot group's
 * scopes. A scope's timers are loaded on first use, so a topic that moves to another slot group
 * (regrouping) brings its timers along. A timer is a time and an opaque payload (the operator's
 * window and key); adding the same one twice keeps one. Processing thread only.
 */
public final class ScopedTimers {
  private static final byte[] OWNER = "\0sluice.timers".getBytes(StandardCharsets.UTF_8);

  /** Called for each due timer; the backend's scope is the timer's while it runs. */
  @FunctionalInterface
  public interface Due {
    void fire(long time, byte[] payload) throws Exception;
  }

  private final GroupServices group;
  private final KeyedStateBackend backend;
  private final MapState<byte[], Boolean> state;
  private final TreeSet<Bytes> index = new TreeSet<>();
  private final Set<Bytes> loaded = new HashSet<>();

  public ScopedTimers(GroupServices group, String stateName) {
    this.group = group;
    this.backend = group.keyedState();
    this.state = backend.mapState(stateName, Serde.bytes(), Serde.booleans());
  }

  /** Adds a timer in the current scope; the current key is kept. */
  public void add(long time, byte[] payload) {
    byte[] scope = backend.scope();
    load(scope);
    if (index.add(new Bytes(entry(time, scope, payload)))) {
      byte[] key = backend.currentKey();
      backend.setCurrentKey(OWNER);
      state.put(persisted(time, payload), Boolean.TRUE);
      backend.setCurrentKey(key);
    }
  }

  /** Removes a timer of the current scope, if there; the current key is kept. */
  public void remove(long time, byte[] payload) {
    byte[] scope = backend.scope();
    load(scope);
    if (index.remove(new Bytes(entry(time, scope, payload)))) {
      byte[] key = backend.currentKey();
      backend.setCurrentKey(OWNER);
      state.remove(persisted(time, payload));
      backend.setCurrentKey(key);
    }
  }

  /** Fires, oldest first, every timer at or before {@code upTo} in any of the group's scopes. */
  public void fire(long upTo, Due due) throws Exception {
    byte[] scopeBefore = backend.scope();
    for (byte[] scope : group.stateScopes()) {
      load(scope);
    }
    while (!index.isEmpty() && timeOf(index.first().get()) <= upTo) {
      byte[] e = index.pollFirst().get();
      long time = timeOf(e);
      int scopeLength = ByteBuffer.wrap(e, 8, 2).getShort();
      byte[] scope = Arrays.copyOfRange(e, 10, 10 + scopeLength);
      byte[] payload = Arrays.copyOfRange(e, 10 + scopeLength, e.length);
      backend.setScope(scope);
      backend.setCurrentKey(OWNER);
      state.remove(persisted(time, payload));
      due.fire(time, payload);
    }
    backend.setScope(scopeBefore);
  }

  private void load(byte[] scope) {
    if (!loaded.add(new Bytes(scope))) {
      return;
    }
    byte[] scopeBefore = backend.scope();
    byte[] key = backend.currentKey();
    backend.setScope(scope);
    backend.setCurrentKey(OWNER);
    for (byte[] p : state.entries().keySet()) {
      index.add(new Bytes(entry(timeOf(p), scope, Arrays.copyOfRange(p, 8, p.length))));
    }
    backend.setScope(scopeBefore);
    backend.setCurrentKey(key);
  }

  /** In memory: time (sign-flipped, so unsigned byte order is numeric), scope, payload. */
  private static byte[] entry(long time, byte[] scope, byte[] payload) {
    return ByteBuffer.allocate(10 + scope.length + payload.length)
        .putLong(time ^ Long.MIN_VALUE)
        .putShort((short) scope.length)
        .put(scope)
        .put(payload)
        .array();
  }

  /** In state (the scope is the state's own): time, payload. */
  private static byte[] persisted(long time, byte[] payload) {
    return ByteBuffer.allocate(8 + payload.length)
        .putLong(time ^ Long.MIN_VALUE)
        .put(payload)
        .array();
  }

  private static long timeOf(byte[] bytes) {
    return ByteBuffer.wrap(bytes, 0, 8).getLong() ^ Long.MIN_VALUE;
  }
}
