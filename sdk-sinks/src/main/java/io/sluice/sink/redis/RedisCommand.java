package io.sluice.sink.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One write a record maps to: {@code SET}, {@code HSET}, {@code ZADD}, {@code PFADD}, {@code
 * INCRBY}, {@code HINCRBY} or {@code LPUSH}, optionally with a time to live on its key. Immutable.
 *
 * <pre>{@code
 * RedisCommand.hincrBy("clicks:" + day, page, 1).withTtl(Duration.ofDays(2))
 * }</pre>
 */
public final class RedisCommand {
  /** Most elements one PFADD or LPUSH may carry (keeps the server-side apply within Lua limits). */
  public static final int MAX_ELEMENTS = 1000;

  /** The supported commands. */
  public enum Type {
    SET,
    HSET,
    ZADD,
    PFADD,
    INCRBY,
    HINCRBY,
    LPUSH
  }

  private final Type type;
  private final String key;
  private final List<String> args;
  private final Duration ttl;

  private RedisCommand(Type type, String key, List<String> args, Duration ttl) {
    this.type = type;
    this.key = key;
    this.args = args;
    this.ttl = ttl;
  }

  public static RedisCommand set(String key, String value) {
    return of(Type.SET, key, List.of(nonNull(value, "value")));
  }

  public static RedisCommand hset(String key, String field, String value) {
    return of(Type.HSET, key, List.of(nonNull(field, "field"), nonNull(value, "value")));
  }

  public static RedisCommand zadd(String key, double score, String member) {
    if (Double.isNaN(score)) {
      throw new IllegalArgumentException("Invalid value NaN for score: must be a number");
    }
    return of(Type.ZADD, key, List.of(Double.toString(score), nonNull(member, "member")));
  }

  public static RedisCommand pfadd(String key, String... elements) {
    return of(Type.PFADD, key, elements("elements", elements));
  }

  public static RedisCommand incrBy(String key, long delta) {
    return of(Type.INCRBY, key, List.of(Long.toString(delta)));
  }

  public static RedisCommand hincrBy(String key, String field, long delta) {
    return of(Type.HINCRBY, key, List.of(nonNull(field, "field"), Long.toString(delta)));
  }

  public static RedisCommand lpush(String key, String... values) {
    return of(Type.LPUSH, key, elements("values", values));
  }

  /** The same command, then the key expires {@code ttl} after the commit applied it. */
  public RedisCommand withTtl(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl must not be null");
    if (ttl.toMillis() < 1) {
      throw new IllegalArgumentException(
          "Invalid value " + ttl + " for ttl: must be at least 1 ms");
    }
    return new RedisCommand(type, key, args, ttl);
  }

  public Type type() {
    return type;
  }

  public String key() {
    return key;
  }

  /** The arguments after the key, as sent to Redis. */
  public List<String> arguments() {
    return args;
  }

  /** The time to live, or {@code null} for none. */
  public Duration ttl() {
    return ttl;
  }

  private static RedisCommand of(Type type, String key, List<String> args) {
    return new RedisCommand(type, nonNull(key, "key"), args, null);
  }

  private static String nonNull(String value, String name) {
    return Objects.requireNonNull(value, name + " must not be null");
  }

  private static List<String> elements(String name, String[] values) {
    Objects.requireNonNull(values, name + " must not be null");
    if (values.length == 0 || values.length > MAX_ELEMENTS) {
      throw new IllegalArgumentException(
          "Invalid number "
              + values.length
              + " of "
              + name
              + ": must be between 1 and "
              + MAX_ELEMENTS);
    }
    List<String> list = new ArrayList<>(values.length);
    for (String v : values) {
      list.add(nonNull(v, name + " element"));
    }
    return List.copyOf(list);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedisCommand c
        && type == c.type
        && key.equals(c.key)
        && args.equals(c.args)
        && Objects.equals(ttl, c.ttl);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, key, args, ttl);
  }

  @Override
  public String toString() {
    return type + " " + key + " " + args + (ttl == null ? "" : " ttl=" + ttl);
  }
}
