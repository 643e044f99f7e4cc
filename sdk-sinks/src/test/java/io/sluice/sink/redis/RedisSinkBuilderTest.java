package io.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisSinkBuilderTest {
  @Test
  void shouldRejectInvalidValuesNamingTheSetting() {
    assertThatThrownBy(() -> RedisSink.builder().chunkCommands(0))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 0 for chunkCommands: must be at least 1");
    assertThatThrownBy(() -> RedisSink.builder().maxCommandsPerCheckpoint(0))
        .hasMessage("Invalid value 0 for maxCommandsPerCheckpoint: must be at least 1");
    assertThatThrownBy(() -> RedisSink.builder().retention(Duration.ofSeconds(1)))
        .hasMessage("Invalid value 1000 ms for retention: must be at least 60000 ms");
    assertThatThrownBy(() -> RedisSink.builder().uri("http://x:1"))
        .hasMessageContaining("must look like redis://host:port");
    assertThatThrownBy(() -> RedisSink.builder().uri("redis://x:1/abc"))
        .hasMessageContaining("database number");
  }

  @Test
  void shouldRejectNullsWithTheParameterName() {
    assertThatThrownBy(() -> RedisSink.builder().uri(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("uri must not be null");
    assertThatThrownBy(() -> RedisSink.builder().command(null))
        .hasMessage("command must not be null");
    assertThatThrownBy(() -> RedisCommand.set("k", null)).hasMessage("value must not be null");
  }

  @Test
  void shouldRequireServerAndMappingAndRefuseASecondMapping() {
    assertThatThrownBy(
            () -> RedisSink.<String>builder().command(v -> RedisCommand.incrBy(v, 1)).build())
        .hasMessageContaining("call uri(");
    assertThatThrownBy(() -> RedisSink.<String>builder().uri("redis://127.0.0.1:6379").build())
        .hasMessageContaining("call command(...) or commands(...)");
    RedisSink.Builder<String> b =
        RedisSink.<String>builder().command(v -> RedisCommand.incrBy(v, 1));
    assertThatThrownBy(() -> b.command(v -> RedisCommand.incrBy(v, 2)))
        .hasMessageContaining("already set");
    assertThatThrownBy(
            () ->
                RedisSink.<String>builder()
                    .uri("redis://127.0.0.1:6379")
                    .command(v -> RedisCommand.incrBy(v, 1))
                    .chunkCommands(10)
                    .maxCommandsPerCheckpoint(5)
                    .build())
        .hasMessageContaining("chunkCommands (10) must not exceed maxCommandsPerCheckpoint (5)");
  }

  @Test
  void shouldBuildWithDefaults() {
    RedisSink<String> sink =
        RedisSink.<String>builder()
            .uri("redis://127.0.0.1:6379/2")
            .command(v -> RedisCommand.incrBy(v, 1))
            .build();
    assertThat(sink.name()).isEqualTo("redis");
  }

  @Test
  void shouldTakeTheCredentialsOutOfTheUriAndNeverShowThem() {
    RedisSink<String> sink =
        RedisSink.<String>builder()
            .uri("rediss://app:s3cret-pw@127.0.0.1:6380/3")
            .command(v -> RedisCommand.incrBy(v, 1))
            .build();

    assertThat(sink.toString()).isEqualTo("RedisSink{redis -> rediss://127.0.0.1:6380/3}");
    assertThatThrownBy(() -> RedisSink.builder().uri("rediss://app:s3cret-pw@h:port"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rediss://app:****@h:port")
        .hasNoCause()
        .message()
        .doesNotContain("s3cret-pw");
  }

  @Test
  void shouldRefuseATrustStoreForAPlainUri(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path store = java.nio.file.Files.createFile(dir.resolve("trust.p12"));
    assertThatThrownBy(
            () ->
                RedisSink.<String>builder()
                    .uri("redis://127.0.0.1:6379")
                    .trustStore(store, "PKCS12", "pw")
                    .command(v -> RedisCommand.incrBy(v, 1))
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("use rediss:// for TLS");
  }

  @Test
  void shouldBoundTheElementsOfOneCommand() {
    assertThatThrownBy(() -> RedisCommand.pfadd("k"))
        .hasMessage("Invalid number 0 of elements: must be between 1 and 1000");
    assertThatThrownBy(() -> RedisCommand.lpush("k", new String[1001]))
        .hasMessage("Invalid number 1001 of values: must be between 1 and 1000");
    assertThatThrownBy(() -> RedisCommand.set("k", "v").withTtl(Duration.ZERO))
        .hasMessageContaining("for ttl: must be at least 1 ms");
  }
}
