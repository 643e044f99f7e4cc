package io.sluice.sink.internal;

import java.util.Objects;

/**
 * A password or key in a sink's settings: {@link #toString()} shows {@code ****}, so a settings
 * record, a log line or an exception message that prints it reveals nothing.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  /** Wraps {@code value}; null stays null. */
  public static Secret of(String value) {
    return value == null ? null : new Secret(value);
  }

  /** The secret itself: only for handing it to a client library. */
  public String reveal() {
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return Objects.hash(value);
  }

  @Override
  public String toString() {
    return "****";
  }
}
