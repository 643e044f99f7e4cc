package io.sluice.sink.redis.internal;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Buffers the commands of the current batch and stages them in Redis chunk by chunk (see {@code
 * RedisSink} for the protocol). Runs on its slot group's processing thread only; it owns every
 * field.
 */
public final class RedisSinkWriter<T> implements SinkWriter<T> {
  /** The staging hash field that seals a batch: its number of chunks (read by the commit). */
  private static final String COUNT_FIELD = "count";

  private static final byte[] COUNT = COUNT_FIELD.getBytes(StandardCharsets.US_ASCII);
  private final RedisSinkSettings<T> settings;
  private final SinkContext context;
  private final RedisClient client;
  private final Retry retry;
  private final SinkMetrics metrics;
  private BatchId batch;
  private boolean registered;
  private List<EncodedCommand> chunk = new ArrayList<>();

  /** The batch's staged chunks, kept for the MULTI/EXEC commit; null once the batch is too big. */
  private List<List<EncodedCommand>> kept = new ArrayList<>();

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
    List<EncodedCommand> encoded;
    try {
      encoded = settings.encoder().apply(value);
    } catch (RuntimeException e) {
      // Nothing of the record is buffered yet: with the policy SKIP it is left out whole.
      context.badRecord(value, e);
      return;
    }
    for (EncodedCommand c : encoded) {
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
      stageChunk(false);
    }
  }

  /** Stages the chunk; with {@code seal}, in the same round trip, marks the batch complete. */
  private void stageChunk(boolean seal) {
    if (!registered) {
      // Before anything is staged: after a crash, recovery aborts what it cannot commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    byte[] blob = ChunkPack.encode(chunk);
    byte[] field = Integer.toString(stagedChunks).getBytes(StandardCharsets.US_ASCII);
    byte[] key = stagingKey().getBytes(StandardCharsets.UTF_8);
    call(
        "staging chunk " + stagedChunks + " of batch " + batch,
        () -> {
          // HSET by chunk number: a repeated write replaces itself, never doubles.
          try (AbstractPipeline p = client.pipelined()) {
            Response<Long> set = p.hset(key, field, blob);
            // Sealing last: a batch counts as staged only once every chunk is there.
            Response<Long> sealed =
                seal
                    ? p.hset(
                        key,
                        COUNT,
                        Integer.toString(stagedChunks + 1).getBytes(StandardCharsets.US_ASCII))
                    : null;
            Response<Long> expire = p.pexpire(key, settings.retention().toMillis());
            p.sync();
            set.get(); // throws what Redis answered, e.g. OOM
            if (sealed != null) {
              sealed.get();
            }
            expire.get();
          }
          return null;
        });
    metrics.bytes(blob.length);
    stagedChunks++;
    if (kept != null && batchCommands <= RedisSinkSettings.MAX_COMMANDS_IN_MEMORY) {
      kept.add(chunk);
    } else {
      kept = null;
    }
    chunk = new ArrayList<>();
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    if (batchCommands == 0) {
      return CompletableFuture.completedFuture(null);
    }
    if (!chunk.isEmpty()) {
      stageChunk(true);
    } else {
      seal(checkpointId);
    }
    if (kept != null) {
      settings.preparedHere().put(batch.toString(), kept);
    }
    Committable prepared = batch.toCommittable();
    batch = batch.next();
    registered = false;
    stagedChunks = 0;
    batchCommands = 0;
    kept = new ArrayList<>();
    return CompletableFuture.completedFuture(prepared);
  }

  /** Marks the batch complete when its last chunk was already staged. */
  private void seal(long checkpointId) {
    String count = Integer.toString(stagedChunks);
    String key = stagingKey();
    call(
        "sealing batch " + batch + " for checkpoint " + checkpointId,
        () -> {
          try (AbstractPipeline p = client.pipelined()) {
            Response<Long> set = p.hset(key, COUNT_FIELD, count);
            Response<Long> expire = p.pexpire(key, settings.retention().toMillis());
            p.sync();
            set.get();
            expire.get();
          }
          return null;
        });
  }

  private String stagingKey() {
    return settings.stagingKey(context.appName(), batch.toString());
  }

  private void call(String what, Supplier<Void> call) {
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
