package io.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.sink.SinkCompatibilityKit;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

/** The Redis sink against a real redis-server: the compatibility kit plus Redis specifics. */
public class RedisSinkIT extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static RedisServer redis;
  private static RedisClient client;

  @BeforeAll
  static void startRedis() throws Exception {
    redis =
        RedisServer.start(
            Files.createTempDirectory(Files.createDirectories(Path.of("target")), "redis-sink-it"));
    client = RedisClient.create(redis.host(), redis.port());
  }

  @AfterAll
  static void stopRedis() {
    if (client != null) {
      client.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** The kit's sink: per record, count its id and add it to its key's sum (both non-idempotent). */
  public static Sink<TestRecord> sink(String server, String run) {
    return RedisSink.<TestRecord>builder()
        .name("redis-kit")
        .uri(server)
        .chunkCommands(1000)
        .commands(
            r ->
                List.of(
                    RedisCommand.hincrBy(run + ":ids", Long.toString(r.id()), 1),
                    RedisCommand.hincrBy(run + ":sums", r.key(), r.id())))
        .build();
  }

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "redis";
  }

  @Override
  protected String server() {
    return redis.url();
  }

  @Override
  protected String newRun() {
    return "run" + RUNS.incrementAndGet() + "-" + System.nanoTime();
  }

  /**
   * The fixture runs Redis without persistence, so a plain restart would lose everything (a
   * production Redis behind this sink keeps its data, see {@code RedisSink}): {@code SHUTDOWN SAVE}
   * stops it atomically with a snapshot in its directory, which the restart loads.
   */
  @Override
  protected void stopServer() {
    try (Socket s = new Socket(redis.host(), redis.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write("SHUTDOWN SAVE\r\n".getBytes(StandardCharsets.US_ASCII));
      // Redis answers nothing and closes the connection once it has saved and is exiting.
      int answer = s.getInputStream().read();
      assertThat(answer).as("no error from SHUTDOWN SAVE").isEqualTo(-1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    redis.stop();
  }

  @Override
  protected void startServer() {
    redis.start();
    client.close();
    client = RedisClient.create(redis.host(), redis.port());
  }

  @Override
  protected Map<Long, Long> visibleCounts(String run) {
    Map<Long, Long> counts = new HashMap<>();
    client
        .hgetAll(run + ":ids")
        .forEach((k, v) -> counts.put(Long.parseLong(k), Long.parseLong(v)));
    return counts;
  }

  @Override
  protected void verifyExactlyOnce(String run, int messages) {
    Map<String, Long> expected = new HashMap<>();
    for (long id = 0; id < messages; id++) {
      expected.merge("k" + (id % 100), id, Long::sum);
    }
    Map<String, Long> actual = new HashMap<>();
    client.hgetAll(run + ":sums").forEach((k, v) -> actual.put(k, Long.parseLong(v)));
    assertThat(actual).as("per-key sums").isEqualTo(expected);
  }

  private static Committable writeAll(Sink<String> sink, TestSinkContext ctx, String... values) {
    try (SinkWriter<String> writer = sink.createWriter(ctx)) {
      for (String v : values) {
        writer.write(v);
      }
      return writer.prepareCommit(1).join();
    }
  }

  @Test
  void shouldApplyEveryCommandTypeWithTtl() {
    String p = newRun();
    Sink<String> sink =
        RedisSink.<String>builder()
            .uri(redis.url())
            .commands(
                v ->
                    List.of(
                        RedisCommand.set(p + ":s", v).withTtl(Duration.ofMinutes(5)),
                        RedisCommand.hset(p + ":h", "f", v),
                        RedisCommand.zadd(p + ":z", 2.5, v),
                        RedisCommand.pfadd(p + ":hll", v, v + "x"),
                        RedisCommand.incrBy(p + ":n", 7).withTtl(Duration.ofMinutes(5)),
                        RedisCommand.hincrBy(p + ":hn", "f", -2),
                        RedisCommand.lpush(p + ":l", v, v)))
            .build();
    Committable c = writeAll(sink, new TestSinkContext(sink.name(), 0), "a", "b");
    assertThat(client.exists(p + ":s")).as("nothing visible before commit").isFalse();
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.commit(c);
      committer.commit(c);
    }
    assertThat(client.get(p + ":s")).isEqualTo("b");
    assertThat(client.pttl(p + ":s")).isBetween(1L, 300_000L);
    assertThat(client.hget(p + ":h", "f")).isEqualTo("b");
    assertThat(client.zscore(p + ":z", "a")).isEqualTo(2.5);
    assertThat(client.pfcount(p + ":hll")).isEqualTo(4);
    assertThat(client.get(p + ":n")).isEqualTo("14");
    assertThat(client.pttl(p + ":n")).isBetween(1L, 300_000L);
    assertThat(client.hget(p + ":hn", "f")).isEqualTo("-4");
    assertThat(client.lrange(p + ":l", 0, -1)).containsExactly("b", "b", "a", "a");
  }

  /**
   * A committer of another process (after a restart) has no commands in memory: it applies the
   * staged batch with the commit script, byte for byte, once.
   */
  @Test
  void shouldApplyAStagedBatchWithTheScriptAfterARestart() {
    String p = newRun();
    String odd = "é € 😀 \"q\" \\ \n\t\u0001 中文";
    java.util.function.Supplier<Sink<String>> sinks =
        () ->
            RedisSink.<String>builder()
                .uri(redis.url())
                .chunkCommands(3)
                .commands(
                    v ->
                        List.of(
                            RedisCommand.hincrBy(p + ":h", v, 2),
                            RedisCommand.lpush(p + ":l", v + odd),
                            RedisCommand.set(p + ":s:" + v, odd).withTtl(Duration.ofMinutes(5))))
                .build();
    Committable c = writeAll(sinks.get(), new TestSinkContext("redis", 0), "a", "b", "a");
    try (Committer afterRestart = sinks.get().createCommitter(new TestSinkContext("redis", 0))) {
      afterRestart.commit(c);
      afterRestart.commit(c);
    }
    assertThat(client.hget(p + ":h", "a")).isEqualTo("4");
    assertThat(client.hget(p + ":h", "b")).isEqualTo("2");
    assertThat(client.lrange(p + ":l", 0, -1)).containsExactly("a" + odd, "b" + odd, "a" + odd);
    assertThat(client.get(p + ":s:b")).isEqualTo(odd);
    assertThat(client.pttl(p + ":s:b")).isBetween(1L, 300_000L);
  }

  @Test
  void shouldApplyTheRestAndCountCommandsRedisRefuses() {
    String p = newRun();
    client.set(p + ":str", "not a hash");
    Sink<String> sink =
        RedisSink.<String>builder()
            .uri(redis.url())
            .commands(
                v ->
                    List.of(
                        RedisCommand.hincrBy(p + ":str", "f", 1), RedisCommand.incrBy(p + ":n", 1)))
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c = writeAll(sink, ctx, "a", "b", "c");
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(client.get(p + ":n")).isEqualTo("3");
    assertThat(ctx.meterRegistry().get("sluice.sink.redis.rejected").counter().count())
        .isEqualTo(3.0);
  }

  @Test
  void shouldSkipARecordWhoseMappingReturnsNull() {
    String p = newRun();
    Sink<String> sink =
        RedisSink.<String>builder()
            .uri(redis.url())
            .commands(v -> v.isEmpty() ? null : List.of(RedisCommand.incrBy(p + ":n", 1)))
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0, TestSinkContext.Policy.SKIP);
    Committable c = writeAll(sink, ctx, "a", "", "b");
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(client.get(p + ":n")).isEqualTo("2");
    assertThat(ctx.badRecords()).extracting(b -> b.record()).containsExactly("");
    assertThat(ctx.badRecords().get(0).cause()).hasMessageContaining("returned null");
  }

  @Test
  void shouldFailNamingTheSettingWhenACheckpointHasTooManyCommands() {
    Sink<String> sink =
        RedisSink.<String>builder()
            .uri(redis.url())
            .chunkCommands(2)
            .maxCommandsPerCheckpoint(5)
            .command(v -> RedisCommand.incrBy(newRun(), 1))
            .build();
    try (SinkWriter<String> writer = sink.createWriter(new TestSinkContext(sink.name(), 0))) {
      for (int i = 0; i < 5; i++) {
        writer.write("x");
      }
      assertThatThrownBy(() -> writer.write("x"))
          .isInstanceOf(SinkException.class)
          .hasMessageContaining("maxCommandsPerCheckpoint");
    }
  }

  @Test
  void shouldKeepTheBatchWhenRedisIsDownAtPrepare() {
    String p = newRun();
    Sink<String> sink =
        RedisSink.<String>builder()
            .uri(redis.url())
            .retryTimeout(Duration.ofMillis(500))
            .command(v -> RedisCommand.incrBy(p + ":n", 1))
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<String> writer = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      writer.write("a");
      redis.stop();
      try {
        assertThatThrownBy(() -> writer.prepareCommit(1))
            .isInstanceOf(SinkException.class)
            .hasMessageContaining("kept");
      } finally {
        redis.start();
        // The restart dropped every connection: give the tests a fresh pool.
        client.close();
        client = RedisClient.create(redis.host(), redis.port());
      }
      writer.write("b");
      committer.commit(writer.prepareCommit(2).join());
    }
    assertThat(client.get(p + ":n")).isEqualTo("2");
    assertThat(ctx.counter("sluice.sink.retries")).as("retried while down").isPositive();
    assertThat(ctx.counter("sluice.sink.errors")).as("gave up once").isEqualTo(1.0);
  }
}
