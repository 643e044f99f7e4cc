package io.sluice.sink.internal;

import io.sluice.errors.ConfigException;
import java.net.URI;
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

  /** An http(s) URL with a host, e.g. ClickHouse's HTTP interface. */
  public static String httpUrl(String url, String setting) {
    Objects.requireNonNull(url, setting + " must not be null");
    URI parsed;
    try {
      parsed = URI.create(url);
    } catch (IllegalArgumentException e) {
      // the parser's message quotes the URL, which may hold a password: neither it nor the
      // exception goes into this one
      throw new ConfigException(
          "Invalid value " + Redaction.uri(url) + " for " + setting + ": not a URL");
    }
    if (parsed.getScheme() == null
        || !parsed.getScheme().matches("https?")
        || parsed.getHost() == null) {
      throw new ConfigException(
          "Invalid value "
              + Redaction.uri(url)
              + " for "
              + setting
              + ": must look like http://host:8123");
    }
    if (parsed.getRawUserInfo() != null) {
      throw new ConfigException(
          "Invalid value "
              + Redaction.uri(url)
              + " for "
              + setting
              + ": give the user and password with credentials(user, password), not in the URL"
              + " (they would travel as a query parameter and show in logs)");
    }
    return url;
  }

  /** A name for logs, metrics and thread names: 1-64 characters of [A-Za-z0-9._-]. */
  public static String simpleName(String name, String setting) {
    Objects.requireNonNull(name, setting + " must not be null");
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException(
          "Invalid value '"
              + name
              + "' for "
              + setting
              + ": must be 1-64 characters of [A-Za-z0-9._-]");
    }
    return name;
  }
}
