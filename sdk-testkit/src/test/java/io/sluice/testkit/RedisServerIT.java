package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

class RedisServerIT {
  @TempDir Path dir;

  @Test
  void shouldRunAMultiExecRoundTrip() {
    try (RedisServer redis = RedisServer.start(dir);
        Jedis jedis = new Jedis(redis.host(), redis.port())) {
      Transaction tx = jedis.multi();
      tx.hincrBy("counts", "a", 2);
      tx.hincrBy("counts", "a", 3);
      tx.set("marker", "7");
      List<Object> results = tx.exec();
      assertThat(results).containsExactly(2L, 5L, "OK");
      assertThat(jedis.hget("counts", "a")).isEqualTo("5");
      assertThat(jedis.get("marker")).isEqualTo("7");
    }
  }
}
