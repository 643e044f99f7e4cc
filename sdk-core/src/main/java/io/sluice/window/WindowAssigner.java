package io.sluice.window;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which windows an element with a given event time belongs to.
 *
 * <pre>{@code
 * WindowAssigner.tumbling(Duration.ofHours(1))
 * WindowAssigner.sliding(Duration.ofMinutes(10), Duration.ofMinutes(1))
 * WindowAssigner.session(Duration.ofMinutes(30))
 * }</pre>
 */
public sealed interface WindowAssigner {
  List<Window> assign(long timestamp);

  /** Fixed-size windows aligned to the epoch, e.g. every hour on the hour (UTC). */
  static WindowAssigner tumbling(Duration size) {
    return new Tumbling(positive(size, "size"));
  }

  /** Windows of {@code size} starting every {@code slide}; an element is in size/slide windows. */
  static WindowAssigner sliding(Duration size, Duration slide) {
    long s = positive(size, "size");
    long sl = positive(slide, "slide");
    if (sl > s) {
      throw new IllegalArgumentException(
          "Invalid slide " + sl + " ms: must not exceed the window size " + s + " ms");
    }
    return new Sliding(s, sl);
  }

  /** Per-key sessions that close after {@code gap} without elements; overlapping ones merge. */
  static WindowAssigner session(Duration gap) {
    return new Session(positive(gap, "gap"));
  }

  private static long positive(Duration d, String what) {
    Objects.requireNonNull(d, what + " must not be null");
    if (d.toMillis() <= 0) {
      throw new IllegalArgumentException(
          "Invalid " + what + " " + d.toMillis() + " ms: must be at least 1 ms");
    }
    return d.toMillis();
  }

  /** See {@link #tumbling}. */
  record Tumbling(long sizeMillis) implements WindowAssigner {
    @Override
    public List<Window> assign(long timestamp) {
      long start = Math.floorDiv(timestamp, sizeMillis) * sizeMillis;
      return List.of(new Window(start, start + sizeMillis));
    }
  }

  /** See {@link #sliding}. */
  record Sliding(long sizeMillis, long slideMillis) implements WindowAssigner {
    @Override
    public List<Window> assign(long timestamp) {
      List<Window> windows = new ArrayList<>();
      long lastStart = Math.floorDiv(timestamp, slideMillis) * slideMillis;
      for (long start = lastStart; start > timestamp - sizeMillis; start -= slideMillis) {
        windows.add(new Window(start, start + sizeMillis));
      }
      return windows;
    }
  }

  /** See {@link #session}. */
  record Session(long gapMillis) implements WindowAssigner {
    @Override
    public List<Window> assign(long timestamp) {
      return List.of(new Window(timestamp, timestamp + gapMillis));
    }
  }
}
