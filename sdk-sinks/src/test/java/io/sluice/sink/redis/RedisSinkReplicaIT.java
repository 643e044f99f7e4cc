package io.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.sink.TestSinkContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;

/**
 * {@code waitForReplicas}: a commit counts only once a replica acknowledged it. With the replica
 * gone, the commit is applied on the primary but fails (and is retried by the runtime); once a
 * replica is back, the replayed commit changes nothing on the primary and succeeds when the replica
 * has the batch.
 */
@Timeout(120)
class RedisSinkReplicaIT {
  private static RedisServer start(String name) throws Exception {
    return RedisServer.start(
        Files.createTempDirectory(Files.createDirectories(Path.of("target")), name));
  }

  private static void replicate(RedisServer replica, RedisServer primary) throws Exception {
    try (Jedis r = new Jedis(replica.host(), replica.port())) {
      r.replicaof(primary.host(), primary.port());
    }
    try (RedisClient p = RedisClient.create(primary.host(), primary.port())) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      // connected, then in sync (the primary delays a diskless full sync by a few seconds)
      while (!p.info("replication").contains("state=online") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(p.info("replication")).contains("connected_slaves:1").contains("state=online");
    }
  }

  @Test
  void shouldCountACommitOnlyOnceAReplicaAcknowledgedIt() throws Exception {
    try (RedisServer primary = start("redis-primary-it");
        RedisClient client = RedisClient.create(primary.host(), primary.port())) {
      RedisSink<String> sink =
          RedisSink.<String>builder()
              .name("replicated")
              .uri(primary.url())
              .command(k -> RedisCommand.incrBy("replicated:" + k, 1))
              .waitForReplicas(1, Duration.ofMillis(500))
              .build();
      TestSinkContext ctx = new TestSinkContext("replicated", 0);
      try (RedisServer replica = start("redis-replica-it");
          RedisClient onReplica = RedisClient.create(replica.host(), replica.port())) {
        replicate(replica, primary);
        try (SinkWriter<String> writer = sink.createWriter(ctx);
            Committer committer = sink.createCommitter(ctx)) {
          writer.write("a");
          committer.commit(writer.prepareCommit(1).join());
        }
        // acknowledged by the replica before the commit returned
        assertThat(onReplica.get("replicated:a")).isEqualTo("1");
      }

      // the replica is gone: the commit is applied on the primary, but does not count
      Committable pending;
      try (SinkWriter<String> writer = sink.createWriter(ctx);
          Committer committer = sink.createCommitter(ctx)) {
        writer.write("a");
        pending = writer.prepareCommit(2).join();
        assertThatThrownBy(() -> committer.commit(pending))
            .isInstanceOf(SinkException.class)
            .hasMessageContaining("only 0 of 1 replicas acknowledged it");
      }
      assertThat(client.get("replicated:a")).isEqualTo("2");

      // a new replica: the replayed commit applies nothing again and now counts
      try (RedisServer replica = start("redis-replica2-it");
          RedisClient onReplica = RedisClient.create(replica.host(), replica.port())) {
        replicate(replica, primary);
        try (Committer committer = sink.createCommitter(ctx)) {
          committer.commit(pending);
        }
        assertThat(client.get("replicated:a")).isEqualTo("2");
        assertThat(onReplica.get("replicated:a")).isEqualTo("2");
      }
    }
  }

  @Test
  void shouldRefuseBadReplicaSettings() {
    assertThatThrownBy(() -> RedisSink.<String>builder().waitForReplicas(0, Duration.ofSeconds(1)))
        .hasMessage("Invalid value 0 for waitForReplicas: must be at least 1");
  }
}
