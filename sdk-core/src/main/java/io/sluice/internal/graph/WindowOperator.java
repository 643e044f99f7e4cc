package io.sluice.internal.graph;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.window.AggregateFunction;
import io.sluice.window.Window;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A keyed event-time window aggregation on the processing thread.
 *
 * <p>State (all in the keyed-state backend, so it is part of every checkpoint): per key, a map
 * window → accumulator; and under a reserved key, the set of pending firings {@code (fire time,
 * window, key)}. The firings are also held in memory, sorted by fire time, and loaded from state on
 * first use after a restart. A window fires once, when the watermark reaches {@code end - 1 +
 * allowedLateness}; its accumulator is then removed.
 */
public final class WindowOperator<K, T, A, R> implements Emitter<T> {
  private final Function<? super T, K> keyFunction;
  private final Serde<K> keySerde;
  private final WindowAssigner assigner;
  private final long lateness;
  private final AggregateFunction<T, A, R> function;
  private final GroupServices group;
  private final KeyedStateBackend backend;
  private final Emitter<WindowResult<K, R>> out;
  private final Emitter<T> late;
  private final MapState<Window, A> accumulators;
  private final ScopedTimers timers;
  private final boolean merging;
  private long lateDropped;

  public WindowOperator(
      int operatorId,
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      WindowAssigner assigner,
      long allowedLatenessMillis,
      AggregateFunction<T, A, R> function,
      Serde<A> accumulatorSerde,
      GroupServices group,
      Emitter<WindowResult<K, R>> out,
      Emitter<T> late) {
    this.keyFunction = keyFunction;
    this.keySerde = keySerde;
    this.assigner = assigner;
    this.lateness = allowedLatenessMillis;
    this.function = function;
    this.group = group;
    this.backend = group.keyedState();
    this.out = out;
    this.late = late;
    this.merging = assigner instanceof WindowAssigner.Session;
    this.accumulators =
        backend.mapState("\0sluice.window." + operatorId, WINDOWS, accumulatorSerde);
    this.timers = new ScopedTimers(group, "\0sluice.window.timers." + operatorId);
  }

  /** Elements whose windows had all fired, dropped because no late output was asked for. */
  public long lateDropped() {
    return lateDropped;
  }

  @Override
  public void emit(T value) throws Exception {
    long ts = group.currentEventTime();
    K key = keyFunction.apply(value);
    if (key == null) {
      throw new NullPointerException("keyBy function returned null for " + value);
    }
    byte[] keyBytes = keySerde.serialize(key);
    long watermark = group.currentWatermark();
    boolean onTime = false;
    for (Window w : assigner.assign(ts)) {
      if (fireTime(w) <= watermark) {
        continue;
      }
      onTime = true;
      backend.setCurrentKey(keyBytes);
      if (merging) {
        addToSession(value, w, keyBytes);
      } else {
        A acc = accumulators.get(w);
        if (acc == null) {
          acc = function.createAccumulator();
          addTimer(fireTime(w), w, keyBytes);
          backend.setCurrentKey(keyBytes);
        }
        accumulators.put(w, function.add(value, acc));
      }
    }
    if (!onTime) {
      if (late != null) {
        late.emit(value);
      } else {
        lateDropped++;
      }
    }
  }

  private void addToSession(T value, Window fresh, byte[] keyBytes) {
    A acc = function.add(value, function.createAccumulator());
    Window merged = fresh;
    Map<Window, A> existing = accumulators.entries();
    for (Map.Entry<Window, A> e : existing.entrySet()) {
      Window w = e.getKey();
      if (w.start() <= merged.end() && merged.start() <= w.end()) {
        merged = new Window(Math.min(w.start(), merged.start()), Math.max(w.end(), merged.end()));
        acc = function.merge(acc, e.getValue());
        accumulators.remove(w);
        removeTimer(fireTime(w), w, keyBytes);
        backend.setCurrentKey(keyBytes);
      }
    }
    accumulators.put(merged, acc);
    addTimer(fireTime(merged), merged, keyBytes);
    backend.setCurrentKey(keyBytes);
  }

  /** Fires every window whose time has come, oldest first (across the group's state scopes). */
  public void onWatermark(long watermark) throws Exception {
    long saved = group.currentEventTime();
    timers.fire(
        watermark,
        (time, payload) -> {
          ByteBuffer b = ByteBuffer.wrap(payload);
          Window w = new Window(b.getLong(), b.getLong());
          byte[] keyBytes = Arrays.copyOfRange(payload, 16, payload.length);
          backend.setCurrentKey(keyBytes);
          A acc = accumulators.get(w);
          if (acc == null) {
            return;
          }
          accumulators.remove(w);
          group.setCurrentEventTime(w.maxTimestamp());
          out.emit(
              new WindowResult<>(
                  keySerde.deserialize(keyBytes), w.start(), w.end(), function.getResult(acc)));
        });
    group.setCurrentEventTime(saved);
  }

  private long fireTime(Window w) {
    return w.maxTimestamp() + lateness;
  }

  private void addTimer(long fireTime, Window w, byte[] keyBytes) {
    timers.add(fireTime, timerPayload(w, keyBytes));
  }

  private void removeTimer(long fireTime, Window w, byte[] keyBytes) {
    timers.remove(fireTime, timerPayload(w, keyBytes));
  }

  /** Window, then key: fire time order comes from the timers. */
  private static byte[] timerPayload(Window w, byte[] keyBytes) {
    return ByteBuffer.allocate(16 + keyBytes.length)
        .putLong(w.start())
        .putLong(w.end())
        .put(keyBytes)
        .array();
  }

  private static final Serde<Window> WINDOWS =
      new Serde<>() {
        @Override
        public byte[] serialize(Window w) {
          return ByteBuffer.allocate(16).putLong(w.start()).putLong(w.end()).array();
        }

        @Override
        public Window deserialize(byte[] bytes) {
          ByteBuffer b = ByteBuffer.wrap(bytes);
          return new Window(b.getLong(), b.getLong());
        }
      };

  static List<Window> windowsOf(WindowAssigner assigner, long ts) {
    return assigner.assign(ts);
  }
}
