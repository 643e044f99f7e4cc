package io.sluice.config;

import io.sluice.errors.ConfigException;
import java.util.Objects;
import java.util.function.Function;

/**
 * One documented setting: key, default, rule and doc, defined once. {@link #check} produces the
 * error users see, e.g. {@code Invalid value 0 ms for sluice.checkpoint.interval: must be at least
 * 100 ms}.
 *
 * @param <T> value type
 */
public final class Option<T> {
  private final String key;
  private final String defaultText;
  private final String rule;
  private final String doc;
  private final Function<T, Boolean> valid;
  private final Function<T, String> show;

  Option(
      String key,
      String defaultText,
      String rule,
      String doc,
      Function<T, Boolean> valid,
      Function<T, String> show) {
    this.key = key;
    this.defaultText = defaultText;
    this.rule = rule;
    this.doc = doc;
    this.valid = valid;
    this.show = show;
  }

  public String key() {
    return key;
  }

  public String defaultText() {
    return defaultText;
  }

  public String rule() {
    return rule;
  }

  public String doc() {
    return doc;
  }

  /** Returns {@code value} if it obeys the rule, else throws a {@link ConfigException}. */
  public T check(T value) {
    if (value == null) {
      throw new ConfigException("Invalid value null for " + key + ": " + rule);
    }
    if (!valid.apply(value)) {
      throw new ConfigException("Invalid value " + show.apply(value) + " for " + key + ": " + rule);
    }
    return value;
  }

  @Override
  public String toString() {
    return key;
  }

  static <T> Option<T> of(
      String key, String defaultText, String rule, String doc, Function<T, Boolean> valid) {
    return new Option<>(key, defaultText, rule, doc, valid, String::valueOf);
  }

  static <T> Option<T> of(
      String key,
      String defaultText,
      String rule,
      String doc,
      Function<T, Boolean> valid,
      Function<T, String> show) {
    return new Option<>(Objects.requireNonNull(key), defaultText, rule, doc, valid, show);
  }
}
