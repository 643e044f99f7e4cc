package io.sluice.sink.redis.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import io.sluice.sink.redis.RedisCommand;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
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
  private final SinkMetrics metrics;
  private BatchId batch;
  private boolean registered;
  private List<List<String>> chunk = new ArrayList<>();
  private int stagedChunks;
  private long batchCommands;

  public RedisSinkWriter(RedisSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    this.client = settings.newClient();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
  }

  @Override
  public void write(T value) {
    List<List<String>> encoded = new ArrayList<>(2);
    try {
      Collection<RedisCommand> commands = settings.commands().apply(value);
      if (commands == null) {
        throw new SinkException("Sink " + settings.name() + ": the command mapping returned null");
      }
      for (RedisCommand c : commands) {
        encode(Objects.requireNonNull(c, "the command mapping returned a null command"), encoded);
      }
    } catch (RuntimeException e) {
      // Nothing of the record is buffered yet: with the policy SKIP it is left out whole.
      context.badRecord(value, e);
      return;
    }
    for (List<String> c : encoded) {
      if (batchCommands >= settings.maxCommandsPerCheckpoint()) {
        throw new SinkException(
            "Sink "
                + settings.name()
                + ": more than "
                + settings.maxCommandsPerCheckpoint()
                + " commands between two checkpoints (maxCommandsPerCheckpoint). Raise"
                + " maxCommandsPerCheckpoint or checkpoint more often.");
      }
      chunk.add(c);
      batchCommands++;
    }
    metrics.record();
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
    byte[] blob;
    try {
      blob = JSON.writeValueAsBytes(chunk);
    } catch (JsonProcessingException e) {
      throw new SinkException("Sink " + settings.name() + ": cannot encode commands", e);
    }
    String field = Integer.toString(stagedChunks);
    call(
        "staging chunk " + field + " of batch " + batch,
        () -> {
          // HSET by chunk number: a repeated write replaces itself, never doubles.
          client.hset(
              stagingKey().getBytes(StandardCharsets.UTF_8),
              field.getBytes(StandardCharsets.US_ASCII),
              blob);
          client.pexpire(stagingKey(), settings.retention().toMillis());
          return null;
        });
    metrics.bytes(blob.length);
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
