package io.sluice.sink.redis;

import io.sluice.errors.SinkException;
import io.sluice.sink.redis.internal.EncodedCommand;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import redis.clients.jedis.Protocol;

/**
 * A record's commands as the writer stages them: the user's mapping, checked, then each command
 * encoded. It sits beside {@link RedisCommand} so that the writer's package does not depend on the
 * public one.
 */
final class CommandEncoder<T> implements Function<T, List<EncodedCommand>> {
  private static final Map<RedisCommand.Type, Protocol.Command> COMMANDS =
      new EnumMap<>(RedisCommand.Type.class);

  static {
    for (RedisCommand.Type t : RedisCommand.Type.values()) {
      COMMANDS.put(t, Protocol.Command.valueOf(t.name()));
    }
  }

  private final String sink;
  private final Function<? super T, ? extends Collection<RedisCommand>> commands;

  CommandEncoder(String sink, Function<? super T, ? extends Collection<RedisCommand>> commands) {
    this.sink = sink;
    this.commands = commands;
  }

  @Override
  public List<EncodedCommand> apply(T value) {
    Collection<RedisCommand> mapped = commands.apply(value);
    if (mapped == null) {
      throw new SinkException("Sink " + sink + ": the command mapping returned null");
    }
    List<EncodedCommand> encoded = new ArrayList<>(mapped.size() + 1);
    for (RedisCommand c : mapped) {
      encode(Objects.requireNonNull(c, "the command mapping returned a null command"), encoded);
    }
    return encoded;
  }

  /** Commands as argument lists the commit script passes to redis.call unchanged. */
  static void encode(RedisCommand c, List<EncodedCommand> out) {
    List<String> arguments = c.arguments();
    boolean setPx = c.ttl() != null && c.type() == RedisCommand.Type.SET;
    String[] args = new String[arguments.size() + (setPx ? 3 : 1)];
    args[0] = c.key();
    for (int i = 0; i < arguments.size(); i++) {
      args[i + 1] = arguments.get(i);
    }
    Protocol.Command command = COMMANDS.get(c.type());
    if (setPx) {
      args[args.length - 2] = "PX";
      args[args.length - 1] = Long.toString(c.ttl().toMillis());
      out.add(EncodedCommand.of(command, args));
      return;
    }
    out.add(EncodedCommand.of(command, args));
    if (c.ttl() != null) {
      out.add(
          EncodedCommand.of(Protocol.Command.PEXPIRE, c.key(), Long.toString(c.ttl().toMillis())));
    }
  }
}
