package io.sluice.samples.common;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name value} options of a sample. Each getter names its default; {@link #checkUsed}
 * refuses an option no getter asked for, so a typo does not silently fall back to a default.
 */
public final class SampleOptions {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> used = new HashSet<>();

  public SampleOptions(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--") || i + 1 >= args.size()) {
        throw new IllegalArgumentException("expected --name value, got '" + a + "'");
      }
      values.put(a.substring(2), args.get(++i));
    }
  }

  public String string(String name, String fallback) {
    used.add(name);
    return values.getOrDefault(name, fallback);
  }

  public int integer(String name, int fallback) {
    String v = string(name, null);
    return v == null ? fallback : Integer.parseInt(v.replace("_", ""));
  }

  public long longValue(String name, long fallback) {
    String v = string(name, null);
    return v == null ? fallback : Long.parseLong(v.replace("_", ""));
  }

  /** A duration such as {@code 30s}, {@code 10m}, {@code 2h} or {@code 500ms}. */
  public Duration duration(String name, Duration fallback) {
    String v = string(name, null);
    if (v == null) {
      return fallback;
    }
    if (v.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    }
    long n = Long.parseLong(v.substring(0, v.length() - 1));
    return switch (v.charAt(v.length() - 1)) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      default -> throw new IllegalArgumentException("--" + name + ": use s, m, h or ms: " + v);
    };
  }

  /** Throws naming every option that no getter asked for. */
  public void checkUsed() {
    Set<String> unknown = new HashSet<>(values.keySet());
    unknown.removeAll(used);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown option(s) " + unknown + "; known: " + new java.util.TreeSet<>(used));
    }
  }
}
