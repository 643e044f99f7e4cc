package io.sluice.sink.redis.internal;

import io.sluice.errors.SinkException;
import java.time.Duration;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisClient;

/**
 * Durability of a commit beyond the primary's memory: after a batch is committed, {@code WAIT}s
 * until {@code replicas} replicas acknowledged it, and fails the commit (the runtime retries it;
 * the replay is a no-op that waits again) if they do not within {@code timeout}, so the durable
 * cursors never move past output that only the primary holds.
 *
 * <p>{@code WAIT} covers the writes of its own connection; a write on this one (the marker's time
 * to live renewed) comes after the commit's writes in the replication stream, whichever connection
 * made them, so waiting for it waits for the commit too.
 *
 * @param replicas replicas that must acknowledge (0: no waiting)
 * @param timeout how long to wait for them
 */
public record ReplicaWait(int replicas, Duration timeout) {
  public static final ReplicaWait NONE = new ReplicaWait(0, Duration.ZERO);

  void await(RedisClient client, String markerKey, Duration retention, String sink, Object batch) {
    if (replicas == 0) {
      return;
    }
    long acked;
    try (Connection connection = client.getPool().getResource()) {
      connection.executeCommand(
          new CommandArguments(Protocol.Command.PEXPIRE)
              .key(markerKey)
              .add(Long.toString(retention.toMillis())));
      acked =
          (Long)
              connection.executeCommand(
                  new CommandArguments(Protocol.Command.WAIT)
                      .add(Integer.toString(replicas))
                      .add(Long.toString(timeout.toMillis())));
    }
    if (acked < replicas) {
      throw new SinkException(
          "Sink "
              + sink
              + ": batch "
              + batch
              + " is committed on the primary but only "
              + acked
              + " of "
              + replicas
              + " replicas acknowledged it within "
              + timeout
              + " (waitForReplicas); retried until they do. Check the replicas' link to the"
              + " primary (INFO replication).");
    }
  }
}
