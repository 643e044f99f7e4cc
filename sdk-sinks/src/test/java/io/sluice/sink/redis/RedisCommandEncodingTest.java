package io.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.redis.internal.EncodedCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedisCommandEncodingTest {
  private static List<List<String>> encode(RedisCommand c) {
    List<EncodedCommand> out = new ArrayList<>();
    CommandEncoder.encode(c, out);
    return out.stream().map(EncodedCommand::toStrings).toList();
  }

  @Test
  void shouldPutTheTtlOfSetIntoTheSetItself() {
    assertThat(encode(RedisCommand.set("k", "v").withTtl(Duration.ofSeconds(2))))
        .containsExactly(List.of("SET", "k", "v", "PX", "2000"));
  }

  @Test
  void shouldFollowOtherCommandsWithPexpire() {
    assertThat(encode(RedisCommand.hincrBy("h", "f", -3).withTtl(Duration.ofMillis(5))))
        .containsExactly(List.of("HINCRBY", "h", "f", "-3"), List.of("PEXPIRE", "h", "5"));
    assertThat(encode(RedisCommand.zadd("z", 1.5, "m")))
        .containsExactly(List.of("ZADD", "z", "1.5", "m"));
    assertThat(encode(RedisCommand.lpush("l", "a", "b")))
        .containsExactly(List.of("LPUSH", "l", "a", "b"));
  }
}
