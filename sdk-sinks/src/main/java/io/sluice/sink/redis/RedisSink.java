package io.sluice.sink.redis;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.builder.RetryingSinkBuilder;
import io.sluice.sink.internal.Redaction;
import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import io.sluice.sink.redis.internal.RedisSinkCommitter;
import io.sluice.sink.redis.internal.RedisSinkSettings;
import io.sluice.sink.redis.internal.RedisSinkWriter;
import io.sluice.sink.redis.internal.ReplicaWait;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Applies Redis commands ({@code SET HSET ZADD PFADD INCRBY HINCRBY LPUSH}, optionally with a TTL)
 * exactly once per record, so non-idempotent counters stay exact across crashes.
 *
 * <pre>{@code
 * RedisSink<Click> sink = RedisSink.<Click>builder()
 *     .uri("redis://127.0.0.1:6379")
 *     .command(c -> RedisCommand.hincrBy("clicks:" + c.day(), c.page(), 1)
 *                              .withTtl(Duration.ofDays(2)))
 *     .build();
 * }</pre>
 *
 * <p><b>Exactly once</b> under SIGKILL at any instant: output is staged in Redis and applied with
 * the commit marker in one MULTI/EXEC or script, so a replayed commit changes nothing. The
 * protocol, its hazards and how outages and bad records are handled are in the package doc of
 * {@code io.sluice.sink.redis.internal}.
 *
 * <p><b>Limits.</b> Standalone Redis only, which must keep its data across the app's restarts.
 * Staging and marker keys expire after {@link Builder#retention} (default 7 days), which must
 * exceed the longest time a completed checkpoint may wait for its commit; checkpoint often, as one
 * commit runs inside Redis as one transaction or script. The rest (refused commands, replicas) is
 * in the package doc of {@code io.sluice.sink.redis.internal}.
 */
public final class RedisSink<T> implements Sink<T> {
  private final RedisSinkSettings<T> settings;

  private RedisSink(RedisSinkSettings<T> settings) {
    this.settings = settings;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  @Override
  public String name() {
    return settings.name();
  }

  @Override
  public SinkWriter<T> createWriter(SinkContext context) {
    Objects.requireNonNull(context, "context must not be null");
    return new RedisSinkWriter<>(settings, context);
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    Objects.requireNonNull(context, "context must not be null");
    return new RedisSinkCommitter(settings, context);
  }

  @Override
  public String toString() {
    return "RedisSink{" + settings.name() + " -> " + settings.uri() + "}";
  }

  /**
   * Settings of a {@link RedisSink}; each setter validates its value at once. Default name: {@code
   * redis}.
   */
  public static final class Builder<T> extends RetryingSinkBuilder<Builder<T>> {
    private URI uri;
    private String user;
    private Secret password;
    private TlsTrust trust;
    private Function<? super T, ? extends Collection<RedisCommand>> commands;
    private String keyPrefix = "sluice:";
    private int chunkCommands = 10_000;
    private long maxCommandsPerCheckpoint = 5_000_000;
    private Duration retention = Duration.ofDays(7);
    private ReplicaWait replicaWait;
    private Duration timeout = Duration.ofSeconds(60);

    private Builder() {}

    @Override
    protected Builder<T> self() {
      return this;
    }

    /**
     * The server, {@code redis://[[user]:password@]host:port[/database]}, or {@code rediss://…} for
     * TLS. Credentials in the URI are taken out of it (the sink shows the URI without them); {@link
     * #credentials} gives them separately.
     */
    public Builder<T> uri(String uri) {
      Objects.requireNonNull(uri, "uri must not be null");
      String shown = Redaction.uri(uri);
      URI parsed;
      try {
        parsed = URI.create(uri);
      } catch (IllegalArgumentException e) {
        // the parser's message quotes the URI, password included: leave it and its cause out
        throw new ConfigException("Invalid value " + shown + " for uri: not a URI");
      }
      if (!("redis".equals(parsed.getScheme()) || "rediss".equals(parsed.getScheme()))
          || parsed.getHost() == null) {
        throw new ConfigException(
            "Invalid value "
                + shown
                + " for uri: must look like redis://host:port[/database] (rediss:// for TLS)");
      }
      String path = parsed.getPath();
      if (path != null && path.length() > 1 && !path.substring(1).matches("\\d{1,5}")) {
        throw new ConfigException(
            "Invalid value " + shown + " for uri: the path must be a database number");
      }
      String userInfo = parsed.getUserInfo();
      if (userInfo != null && !userInfo.isEmpty()) {
        int colon = userInfo.indexOf(':');
        if (colon < 0) {
          this.password = Secret.of(userInfo);
        } else {
          this.user = colon > 0 ? userInfo.substring(0, colon) : null;
          this.password = Secret.of(userInfo.substring(colon + 1));
        }
      }
      this.uri =
          URI.create(
              parsed.getScheme()
                  + "://"
                  + (parsed.getHost().contains(":")
                      ? "[" + parsed.getHost() + "]"
                      : parsed.getHost())
                  + (parsed.getPort() > 0 ? ":" + parsed.getPort() : "")
                  + (path == null ? "" : path));
      return this;
    }

    /** An ACL user and its password ({@code AUTH user password}); {@code user} may be null. */
    public Builder<T> credentials(String user, String password) {
      Objects.requireNonNull(password, "password must not be null");
      this.user = user;
      this.password = Secret.of(password);
      return this;
    }

    /**
     * For a {@code rediss://} URI: trust the certificates in this key store ({@code PKCS12} or
     * {@code JKS}) instead of the JVM's default trust. The server's certificate must also name the
     * URI's host.
     */
    public Builder<T> trustStore(Path file, String type, String password) {
      this.trust = TlsTrust.of(file, type, password);
      return this;
    }

    /** Maps each record to one command. */
    public Builder<T> command(Function<? super T, RedisCommand> command) {
      Objects.requireNonNull(command, "command must not be null");
      return commands(r -> List.of(command.apply(r)));
    }

    /** Maps each record to any number of commands (none skips the record on purpose). */
    public Builder<T> commands(Function<? super T, ? extends Collection<RedisCommand>> commands) {
      Objects.requireNonNull(commands, "commands must not be null");
      if (this.commands != null) {
        throw new ConfigException("command(...) or commands(...) was already set");
      }
      this.commands = commands;
      return this;
    }

    /** Prefix of the sink's own keys (default {@code sluice:}). */
    public Builder<T> keyPrefix(String prefix) {
      this.keyPrefix = Objects.requireNonNull(prefix, "prefix must not be null");
      return this;
    }

    /**
     * Commands held in memory before they are staged in Redis (default 10,000): bounds the memory
     * of a writer between checkpoints.
     */
    public Builder<T> chunkCommands(int n) {
      this.chunkCommands = atLeast(n, 1, "chunkCommands");
      return this;
    }

    /** Most commands one writer stages between two checkpoints (default 5,000,000). */
    public Builder<T> maxCommandsPerCheckpoint(long n) {
      this.maxCommandsPerCheckpoint = atLeast(n, 1, "maxCommandsPerCheckpoint");
      return this;
    }

    /** Time to live of staging and marker keys (default 7 days); above the longest downtime. */
    public Builder<T> retention(Duration retention) {
      this.retention = atLeast(retention, Duration.ofMinutes(1), "retention");
      return this;
    }

    /**
     * Durability beyond the primary: each commit waits ({@code WAIT}) until {@code replicas}
     * replicas acknowledged it, for up to {@code timeout}; a commit they do not acknowledge in time
     * fails and is retried, so the durable cursors never move past output only the primary holds.
     * Without it (the default) a commit counts once the primary applied it: with default
     * persistence a crash of the primary after the cursors moved loses committed commands. ({@code
     * WAITAOF}, for the primary's own append-only file, needs Redis 7.2.)
     */
    public Builder<T> waitForReplicas(int replicas, Duration timeout) {
      if (replicaWait != null) {
        throw new ConfigException("waitForReplicas(...) was already set");
      }
      if (replicas < 1) {
        throw new ConfigException(
            "Invalid value " + replicas + " for waitForReplicas: must be at least 1");
      }
      this.replicaWait =
          new ReplicaWait(replicas, atLeast(timeout, Duration.ofMillis(10), "waitForReplicas"));
      return this;
    }

    /** Socket timeout; also bounds how long one commit script may run (default 60 s). */
    public Builder<T> timeout(Duration timeout) {
      this.timeout = atLeast(timeout, Duration.ofMillis(100), "timeout");
      return this;
    }

    public RedisSink<T> build() {
      if (uri == null) {
        throw new ConfigException("RedisSink needs a server: call uri(\"redis://host:port\")");
      }
      if (trust != null && !"rediss".equals(uri.getScheme())) {
        throw new ConfigException(
            "RedisSink has a trust store but its uri "
                + uri
                + " is not rediss://: use rediss:// for TLS");
      }
      if (commands == null) {
        throw new ConfigException("RedisSink needs a mapping: call command(...) or commands(...)");
      }
      if (chunkCommands > maxCommandsPerCheckpoint) {
        throw new ConfigException(
            "chunkCommands ("
                + chunkCommands
                + ") must not exceed maxCommandsPerCheckpoint ("
                + maxCommandsPerCheckpoint
                + ")");
      }
      return new RedisSink<>(
          new RedisSinkSettings<>(
              nameOr("redis"),
              uri,
              user,
              password,
              trust,
              new CommandEncoder<>(nameOr("redis"), commands),
              keyPrefix,
              chunkCommands,
              maxCommandsPerCheckpoint,
              retention,
              timeout,
              retryTimeout(),
              retryBackoff(),
              replicaWait,
              null));
    }
  }
}
