package io.sluice.sink.redis.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.redis.RedisCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Buffers the commands of the current batch and stages them in Redis chunk by chunk (see {@code
 * RedisSink} for the protocol). Runs on its slot group's processing thread only; it owns every
 * field.
 */
public final class RedisSinkWriter<T> implements SinkWriter<T> {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RedisSinkSettings<T> settings;
  private final SinkContext context;
  private final RedisClient client;
  private final Retry retry;
  private final Counter written;
  private BatchId batch;
  private boolean registered;
  private List<List<String>> chunk = new ArrayList<>();
  private int stagedChunks;
  private long batchCommands;

  public RedisSinkWriter(RedisSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    this.client = settings.newClient();
    this.retry = new Retry(settings.maxRetries(), settings.retryBackoff(), Duration.ofSeconds(10));
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
    this.written =
        Counter.builder("sluice.sink.records")
            .tag("app", context.appName())
            .tag("sink", settings.name())
            .register(context.meterRegistry());
  }

  @Override
  public void write(T value) {
    Collection<RedisCommand> commands = settings.commands().apply(value);
    if (commands == null) {
      throw new SinkException(
          "Sink " + settings.name() + ": the command mapping returned null for " + value);
    }
    for (RedisCommand c : commands) {
      if (batchCommands >= settings.maxCommandsPerCheckpoint()) {
        throw new SinkException(
            "Sink "
                + settings.name()
                + ": more than "
                + settings.maxCommandsPerCheckpoint()
                + " commands between two checkpoints (maxCommandsPerCheckpoint). Raise"
                + " maxCommandsPerCheckpoint or checkpoint more often.");
      }
      encode(c, chunk);
      batchCommands++;
    }
    written.increment();
    if (chunk.size() >= settings.chunkCommands()) {
      stageChunk();
    }
  }

  /** Commands as argument lists the commit script passes to redis.call unchanged. */
  static void encode(RedisCommand c, List<List<String>> out) {
    List<String> args = new ArrayList<>(c.arguments().size() + 4);
    args.add(c.type().name());
    args.add(c.key());
    args.addAll(c.arguments());
    if (c.ttl() != null && c.type() == RedisCommand.Type.SET) {
      args.add("PX");
      args.add(Long.toString(c.ttl().toMillis()));
      out.add(args);
      return;
    }
    out.add(args);
    if (c.ttl() != null) {
      out.add(List.of("PEXPIRE", c.key(), Long.toString(c.ttl().toMillis())));
    }
  }

  private void stageChunk() {
    if (!registered) {
      // Before anything is staged: after a crash, recovery aborts what it cannot commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    String blob;
    try {
      blob = JSON.writeValueAsString(chunk);
    } catch (JsonProcessingException e) {
      throw new SinkException("Sink " + settings.name() + ": cannot encode commands", e);
    }
    String field = Integer.toString(stagedChunks);
    call(
        "staging chunk " + field + " of batch " + batch,
        () -> {
          // HSET by chunk number: a repeated write replaces itself, never doubles.
          client.hset(stagingKey(), field, blob);
          client.pexpire(stagingKey(), settings.retention().toMillis());
          return null;
        });
    stagedChunks++;
    chunk = new ArrayList<>();
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    if (batchCommands == 0) {
      return CompletableFuture.completedFuture(null);
    }
    if (!chunk.isEmpty()) {
      stageChunk();
    }
    String count = Integer.toString(stagedChunks);
    call(
        "sealing batch " + batch + " for checkpoint " + checkpointId,
        () -> {
          client.hset(stagingKey(), "count", count);
          client.pexpire(stagingKey(), settings.retention().toMillis());
          return null;
        });
    Committable prepared = batch.toCommittable();
    batch = batch.next();
    registered = false;
    stagedChunks = 0;
    batchCommands = 0;
    return CompletableFuture.completedFuture(prepared);
  }

  private String stagingKey() {
    return settings.stagingKey(context.appName(), batch.toString());
  }

  private void call(String what, java.util.function.Supplier<Void> call) {
    String label = "Sink " + settings.name() + ": " + what;
    try {
      retry.run(label, call, e -> e instanceof JedisConnectionException);
    } catch (JedisException e) {
      throw new SinkException(
          label + " failed at " + settings.uri() + " (the data is kept for the next try): " + e, e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
