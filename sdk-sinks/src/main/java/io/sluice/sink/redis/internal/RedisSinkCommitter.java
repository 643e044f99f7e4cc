package io.sluice.sink.redis.internal;

import io.micrometer.core.instrument.Counter;
import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import io.sluice.metrics.Metric;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Commits a staged batch with one atomic script, or deletes it on abort; see {@code RedisSink}.
 * Runs on the commit thread (and the start-up thread during recovery).
 */
public final class RedisSinkCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSinkCommitter.class);

  /**
   * KEYS: staging hash, marker. ARGV: batch seq, retention ms. Returns {1, rejected, errors...}
   * when applied, {0, 0} when already committed. Checks that every chunk is there before writing
   * anything, because a script cannot roll back what it has written.
   */
  static final String COMMIT_SCRIPT =
      """
      local stage, marker = KEYS[1], KEYS[2]
      local seq = tonumber(ARGV[1])
      local count = redis.call('HGET', stage, 'count')
      if not count then
        local done = redis.call('GET', marker)
        if done and tonumber(done) >= seq then return {0, 0} end
        if redis.call('EXISTS', stage) == 1 then
          return redis.error_reply('SLUICE_UNSEALED staging ' .. stage .. ' was never sealed')
        end
        return redis.error_reply('SLUICE_LOST staging ' .. stage .. ' is gone and marker '
          .. marker .. ' is ' .. tostring(done))
      end
      count = tonumber(count)
      if redis.call('HLEN', stage) ~= count + 1 then
        return redis.error_reply('SLUICE_LOST staging ' .. stage .. ' lacks chunks')
      end
      local rejected, errors = 0, {}
      for i = 0, count - 1 do
        local raw = redis.call('HGET', stage, tostring(i))
        -- MessagePack (array32, 0xdd); JSON ('[') from sinks of earlier versions
        local chunk = string.byte(raw, 1) == 91 and cjson.decode(raw) or cmsgpack.unpack(raw)
        for _, c in ipairs(chunk) do
          local r = redis.pcall(unpack(c))
          if type(r) == 'table' and r.err then
            rejected = rejected + 1
            if #errors < 5 then errors[#errors + 1] = c[1] .. ' ' .. c[2] .. ': ' .. r.err end
          end
        end
      end
      local done = tonumber(redis.call('GET', marker) or '0')
      redis.call('SET', marker, tostring(math.max(done, seq)), 'PX', ARGV[2])
      redis.call('DEL', stage)
      local out = {1, rejected}
      for _, e in ipairs(errors) do out[#out + 1] = e end
      return out
      """;

  private final RedisSinkSettings<?> settings;
  private final String app;
  private final RedisClient client;
  private final Counter rejected;
  private final Retry retry;
  private final SinkMetrics metrics;

  public RedisSinkCommitter(RedisSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.app = context.appName();
    this.client = settings.newClient();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
    this.rejected =
        Metric.SINK_REDIS_REJECTED.counter(context.meterRegistry(), app, "sink", settings.name());
  }

  @Override
  public void commit(Committable committable) {
    metrics.timeCommit(() -> apply(committable));
  }

  private void apply(Committable committable) {
    BatchId batch = BatchId.of(committable, settings.name());
    List<String> keys =
        List.of(
            settings.stagingKey(app, batch.toString()),
            settings.markerKey(app, batch.writer(), batch.token()));
    List<List<EncodedCommand>> commands = settings.preparedHere().remove(batch.toString());
    if (commands != null) {
      try {
        MultiExecCommit.Outcome outcome =
            retry.run(
                "Sink " + settings.name() + ": commit of batch " + batch,
                () ->
                    MultiExecCommit.apply(
                        client,
                        keys.get(0),
                        keys.get(1),
                        batch.seq(),
                        settings.retention(),
                        commands),
                e -> e instanceof JedisConnectionException);
        if (outcome != null) {
          report(batch, outcome.applied(), outcome.refused(), outcome.firstErrors());
          awaitReplicas(keys.get(1), batch);
          return;
        }
      } catch (JedisException e) {
        // Not applied, or the answer was lost: the script below finds out from the marker.
        LOG.warn(
            "sink {}: MULTI/EXEC commit of batch {} failed, committing from staging: {}",
            settings.name(),
            batch,
            e.toString());
      }
    }
    List<String> args =
        List.of(Long.toString(batch.seq()), Long.toString(settings.retention().toMillis()));
    Object result;
    try {
      // The script is idempotent, so a connection lost before the answer is simply retried.
      result =
          retry.run(
              "Sink " + settings.name() + ": commit of batch " + batch,
              () -> client.eval(COMMIT_SCRIPT, keys, args),
              e -> e instanceof JedisConnectionException);
    } catch (JedisException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("SLUICE_LOST") || m.contains("SLUICE_UNSEALED")) {
        throw new CommitLostException(
            "Sink "
                + settings.name()
                + ": batch "
                + batch
                + " of a completed checkpoint cannot be committed: "
                + m
                + ". Its staged commands were lost from Redis at "
                + settings.uri()
                + " (restart without persistence, eviction, or retention expired).",
            e);
      }
      // Unknown outcome (e.g. the answer was lost): the script is idempotent, the runtime retries.
      throw new SinkException(
          "Sink " + settings.name() + ": commit of batch " + batch + " failed: " + e, e);
    }
    List<?> out = (List<?>) result;
    report(
        batch,
        ((Number) out.get(0)).longValue() == 1,
        ((Number) out.get(1)).longValue(),
        out.subList(2, out.size()));
    awaitReplicas(keys.get(1), batch);
  }

  private void awaitReplicas(String markerKey, BatchId batch) {
    retry.run(
        "Sink " + settings.name() + ": waiting for replicas of batch " + batch,
        () -> {
          settings
              .replicaWait()
              .await(client, markerKey, settings.retention(), settings.name(), batch);
          return null;
        },
        e -> e instanceof JedisConnectionException);
  }

  private void report(BatchId batch, boolean applied, long refused, List<?> firstErrors) {
    if (refused > 0) {
      rejected.increment(refused);
      LOG.warn(
          "sink {}: Redis refused {} commands of batch {} (the rest was applied); first: {}",
          settings.name(),
          refused,
          batch,
          firstErrors);
    }
    if (!applied) {
      LOG.debug("sink {}: batch {} was already committed", settings.name(), batch);
    }
  }

  @Override
  public void abort(Committable committable) {
    BatchId batch = BatchId.of(committable, settings.name());
    settings.preparedHere().remove(batch.toString());
    try {
      // Staging never holds applied commands (commit deletes it atomically), so this cannot undo
      // a commit.
      String key = settings.stagingKey(app, batch.toString());
      retry.run(
          "Sink " + settings.name() + ": abort of batch " + batch,
          () -> client.del(key),
          e -> e instanceof JedisConnectionException);
    } catch (JedisException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": abort of batch " + batch + " failed: " + e, e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
