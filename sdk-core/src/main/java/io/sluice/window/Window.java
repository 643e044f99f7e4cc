package io.sluice.window;

/**
 * An event-time interval {@code [start, end)} in epoch milliseconds.
 *
 * @param start inclusive
 * @param end exclusive
 */
public record Window(long start, long end) {
  public Window {
    if (end <= start) {
      throw new IllegalArgumentException("window end " + end + " must be after start " + start);
    }
  }

  /** The largest timestamp in the window. */
  public long maxTimestamp() {
    return end - 1;
  }
}
