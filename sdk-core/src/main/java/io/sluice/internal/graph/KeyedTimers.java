package io.sluice.internal.graph;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.KeyedStateBackend;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The timers of one keyed process operator, in keyed state (so they are checkpointed and restored
 * with it) and in a sorted in-memory index (loaded from state on first use). One timer per key,
 * time and domain: registering it again changes nothing. Processing thread only.
 */
final class KeyedTimers {
  private static final byte[] OWNER = "\0sluice.timers".getBytes(StandardCharsets.UTF_8);

  /** Which clock a timer follows. */
  enum Domain {
    EVENT_TIME,
    PROCESSING_TIME
  }

  /** Called for each due timer with the current key set to the timer's key. */
  @FunctionalInterface
  interface Due {
    void fire(long time, byte[] key) throws Exception;
  }

  private final KeyedStateBackend backend;
  private final MapState<byte[], Boolean> state;
  private TreeSet<Bytes> eventTime;
  private TreeSet<Bytes> processingTime;

  KeyedTimers(KeyedStateBackend backend, int operatorId) {
    this.backend = backend;
    this.state = backend.mapState("\0sluice.timers." + operatorId, Serde.bytes(), Serde.booleans());
  }

  void register(Domain domain, long time, byte[] key) {
    byte[] t = encode(domain, time, key);
    if (index(domain).add(new Bytes(t))) {
      backend.setCurrentKey(OWNER);
      state.put(t, Boolean.TRUE);
      backend.setCurrentKey(key);
    }
  }

  void delete(Domain domain, long time, byte[] key) {
    byte[] t = encode(domain, time, key);
    if (index(domain).remove(new Bytes(t))) {
      backend.setCurrentKey(OWNER);
      state.remove(t);
      backend.setCurrentKey(key);
    }
  }

  /** Fires, oldest first, every timer of {@code domain} at or before {@code upTo}. */
  void fire(Domain domain, long upTo, Due due) throws Exception {
    TreeSet<Bytes> pending = index(domain);
    while (!pending.isEmpty() && timeOf(pending.first()) <= upTo) {
      byte[] t = pending.pollFirst().get();
      backend.setCurrentKey(OWNER);
      state.remove(t);
      byte[] key = Arrays.copyOfRange(t, 9, t.length);
      backend.setCurrentKey(key);
      due.fire(timeOf(new Bytes(t)), key);
    }
  }

  private TreeSet<Bytes> index(Domain domain) {
    if (eventTime == null) {
      eventTime = new TreeSet<>();
      processingTime = new TreeSet<>();
      byte[] current = backend.currentKey();
      backend.setCurrentKey(OWNER);
      for (byte[] t : state.entries().keySet()) {
        (t[0] == 0 ? eventTime : processingTime).add(new Bytes(t));
      }
      backend.setCurrentKey(current);
    }
    return domain == Domain.EVENT_TIME ? eventTime : processingTime;
  }

  /** Domain, then time (sign-flipped: unsigned byte order is numeric order), then key. */
  private static byte[] encode(Domain domain, long time, byte[] key) {
    return ByteBuffer.allocate(9 + key.length)
        .put((byte) domain.ordinal())
        .putLong(time ^ Long.MIN_VALUE)
        .put(key)
        .array();
  }

  private static long timeOf(Bytes timer) {
    return ByteBuffer.wrap(timer.get(), 1, 8).getLong() ^ Long.MIN_VALUE;
  }
}
