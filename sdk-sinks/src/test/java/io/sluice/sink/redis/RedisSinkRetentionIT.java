package io.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.testing.TestDriver;
import io.sluice.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * An app that stays down longer than the sink's retention finds its commit markers expired. Its
 * newest checkpoint was committed before it stopped, so the restart must not need the markers: it
 * used to commit that checkpoint again, find neither staging nor marker, and refuse to start with
 * {@code CommitLostException} (whose only remedy, deleting the state, repeats output).
 */
@Timeout(120)
class RedisSinkRetentionIT {
  @TempDir Path state;

  private static TestDriver counting(Path state, String server) {
    TestDriver driver = TestDriver.create(state);
    driver.stream(PulsarSource.topics("clicks"))
        .sinkTo(
            RedisSink.<SourceRecord>builder()
                .name("counts")
                .uri(server)
                .command(r -> RedisCommand.incrBy("retention:" + r.key(), 1))
                .build());
    return driver;
  }

  @Test
  void shouldRestartAfterTheMarkersOfACommittedCheckpointExpired() throws Exception {
    try (RedisServer redis =
            RedisServer.start(
                Files.createTempDirectory(
                    Files.createDirectories(Path.of("target")), "redis-retention-it"));
        RedisClient client = RedisClient.create(redis.host(), redis.port())) {
      try (TestDriver driver = counting(state, redis.url()).start()) {
        driver.send("clicks", 0, "a", "x", 1);
        driver.send("clicks", 0, "a", "x", 2);
        driver.checkpoint(); // committed: retention:a = 2
      } // stops like a killed process: no final checkpoint
      assertThat(client.get("retention:a")).isEqualTo("2");

      // the app stays down past the retention: its markers expire
      Set<String> markers = client.keys("*:done:*");
      assertThat(markers).isNotEmpty();
      markers.forEach(client::del);

      try (TestDriver driver = counting(state, redis.url()).start()) {
        driver.send("clicks", 0, "a", "x", 3);
        driver.checkpoint();
      }
      assertThat(client.get("retention:a")).isEqualTo("3");
    }
  }
}
