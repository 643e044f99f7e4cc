package io.sluice.sink.internal;

import io.sluice.ConfigException;
import java.time.Duration;
import java.util.Objects;

/** Builder checks shared by the sinks; messages name the setting and the rule. */
public final class Checks {
  private Checks() {}

  public static long atLeast(long value, long min, String setting) {
    if (value < min) {
      throw new ConfigException(
          "Invalid value " + value + " for " + setting + ": must be at least " + min);
    }
    return value;
  }

  public static int atLeast(int value, int min, String setting) {
    return (int) atLeast((long) value, min, setting);
  }

  public static Duration atLeast(Duration value, Duration min, String setting) {
    Objects.requireNonNull(value, setting + " must not be null");
    if (value.compareTo(min) < 0) {
      throw new ConfigException(
          "Invalid value "
              + value.toMillis()
              + " ms for "
              + setting
              + ": must be at least "
              + min.toMillis()
              + " ms");
    }
    return value;
  }
}
