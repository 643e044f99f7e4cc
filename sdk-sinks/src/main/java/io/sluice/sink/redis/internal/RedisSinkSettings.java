package io.sluice.sink.redis.internal;

import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;

/**
 * The validated settings of one Redis sink, shared by its writers and its committer.
 *
 * @param name the sink's name
 * @param uri {@code redis[s]://host:port[/db]}, without credentials
 * @param user the ACL user, or null for {@code default}
 * @param password the password, or null for none
 * @param trust what a {@code rediss://} server's certificate is checked against, or null for the
 *     JVM's default trust
 * @param encoder maps a record to its commands, encoded
 * @param keyPrefix prefix of the sink's own staging and marker keys
 * @param chunkCommands commands buffered in memory before they are staged in Redis
 * @param maxCommandsPerCheckpoint most commands one writer may stage between two checkpoints
 * @param retention time to live of staging and marker keys
 * @param timeout socket timeout (also bounds one commit script)
 * @param retryTimeout how long a call failing because Redis is unreachable is retried
 * @param retryBackoff first backoff between retries (doubles, up to 5 s)
 * @param replicaWait replicas a commit waits for ({@code WAIT}) before it counts as done
 * @param preparedHere the commands of batches prepared by this process and not committed yet, by
 *     batch id: their commit sends them in one MULTI/EXEC instead of replaying staging in Lua
 */
public record RedisSinkSettings<T>(
    String name,
    URI uri,
    String user,
    Secret password,
    TlsTrust trust,
    Function<? super T, ? extends List<EncodedCommand>> encoder,
    String keyPrefix,
    int chunkCommands,
    long maxCommandsPerCheckpoint,
    Duration retention,
    Duration timeout,
    Duration retryTimeout,
    Duration retryBackoff,
    ReplicaWait replicaWait,
    Map<String, List<List<EncodedCommand>>> preparedHere) {

  /**
   * Most commands of one batch kept in memory for the MULTI/EXEC commit (about 100 bytes each); a
   * larger batch is committed by the script from staging.
   */
  public static final int MAX_COMMANDS_IN_MEMORY = 250_000;

  public RedisSinkSettings {
    preparedHere = preparedHere != null ? preparedHere : new ConcurrentHashMap<>();
    replicaWait = replicaWait != null ? replicaWait : ReplicaWait.NONE;
  }

  /** A pooled client for this sink's server; the caller closes it. */
  public RedisClient newClient() {
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(5000)
            .socketTimeoutMillis((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    if (password != null) {
      if (user != null) {
        config.user(user);
      }
      config.password(password.reveal());
    }
    if ("rediss".equals(uri.getScheme())) {
      // FULL: the server's certificate must be trusted and name the URI's host
      SslOptions.Builder tls = SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL);
      if (trust != null) {
        tls.truststore(trust.file().toFile(), trust.password().reveal().toCharArray())
            .trustStoreType(trust.type());
      }
      config.sslOptions(tls.build());
    }
    String path = uri.getPath();
    if (path != null && path.length() > 1) {
      config.database(Integer.parseInt(path.substring(1)));
    }
    return RedisClient.builder()
        .hostAndPort(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379)
        .clientConfig(config.build())
        .build();
  }

  /** The key where a batch's commands wait for their commit. */
  public String stagingKey(String app, String batch) {
    return keyPrefix + app + ":" + name + ":stage:" + batch;
  }

  /** The key holding the newest batch number committed for one writer instance (its token). */
  public String markerKey(String app, int writer, String token) {
    return keyPrefix + app + ":" + name + ":done:w" + writer + "-" + token;
  }
}
