package io.sluice.sink.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.Sluice;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.clickhouse.ClickHouseSink;
import io.sluice.sink.redis.RedisCommand;
import io.sluice.sink.redis.RedisSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.source.StartPosition;
import io.sluice.testkit.ClickHouseServer;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.TestPki;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;

/**
 * The Redis and ClickHouse sinks against servers with security on: Redis speaking only TLS with an
 * ACL user (the default user off), ClickHouse over HTTPS as a user with a password; both with
 * certificates from a CA the test made, trusted through a trust store. Each writes exactly once (a
 * replayed commit changes nothing).
 */
@Timeout(120)
class SecuredSinksIT {
  static final String REDIS_USER = "sluice-app";
  static final String REDIS_PASSWORD = "redis-pw-" + Long.toHexString(System.nanoTime());
  static final String CLICKHOUSE_USER = "sluice";
  static final String CLICKHOUSE_PASSWORD = "ch-pw-" + Long.toHexString(System.nanoTime());

  static TestPki pki;
  static RedisServer redis;
  static ClickHouseServer clickhouse;

  @BeforeAll
  static void startServers() throws Exception {
    Path dir =
        Files.createTempDirectory(Files.createDirectories(Path.of("target")), "secured-sinks-it");
    pki = TestPki.create(dir.resolve("pki"));
    redis = RedisServer.startSecured(dir.resolve("redis"), pki, REDIS_USER, REDIS_PASSWORD);
    clickhouse =
        ClickHouseServer.startSecured(
            dir.resolve("clickhouse"), pki, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD);
  }

  @AfterAll
  static void stopServers() {
    if (redis != null) {
      redis.close();
    }
    if (clickhouse != null) {
      clickhouse.close();
    }
  }

  /** Writes ids 0..count-1 through one writer, prepares, and commits twice (a replay). */
  private static void writeAndCommitTwice(Sink<TestRecord> sink, int count) {
    TestSinkContext context = new TestSinkContext(sink.name(), 0);
    Committable prepared;
    try (SinkWriter<TestRecord> writer = sink.createWriter(context)) {
      for (long id = 0; id < count; id++) {
        writer.write(new TestRecord(id, "k" + (id % 10)));
      }
      prepared = writer.prepareCommit(1).join();
    }
    Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0));
    try {
      committer.commit(prepared);
      committer.commit(prepared); // as recovery does after a crash right after the commit
    } finally {
      committer.close();
    }
  }

  @Test
  void shouldWriteExactlyOnceToRedisOverTlsAsAnAclUser() {
    String run = "secured-" + System.nanoTime();
    RedisSink<TestRecord> sink =
        RedisSink.<TestRecord>builder()
            .uri(redis.url())
            .credentials(REDIS_USER, REDIS_PASSWORD)
            .trustStore(pki.trustStore(), "PKCS12", pki.password())
            .commands(r -> List.of(RedisCommand.hincrBy(run + ":ids", Long.toString(r.id()), 1)))
            .build();

    writeAndCommitTwice(sink, 1000);

    try (RedisClient client = tlsClient()) {
      Map<String, String> ids = client.hgetAll(run + ":ids");
      assertThat(ids).hasSize(1000);
      assertThat(new HashMap<>(ids).values()).containsOnly("1");
    }
    assertThat(sink.toString()).doesNotContain(REDIS_PASSWORD).contains(redis.url());
  }

  @Test
  void shouldRefuseARedisServerItsTrustStoreDoesNotVouchFor() {
    RedisSink<TestRecord> sink =
        RedisSink.<TestRecord>builder()
            .uri(redis.url())
            .credentials(REDIS_USER, REDIS_PASSWORD)
            .retryTimeout(Duration.ZERO)
            .commands(r -> List.of(RedisCommand.incrBy("never", 1)))
            .build(); // the JVM's default trust: not the test CA

    Throwable refused = catchThrowable(() -> writeAndCommitTwice(sink, 10));

    assertThat(refused).isNotNull();
    assertThat(chainText(refused)).containsIgnoringCase("certificat");
  }

  @Test
  void shouldWriteExactlyOnceToClickHouseOverHttpsWithAPassword() {
    String table = "secured_" + System.nanoTime();
    clickhouse.query(
        "CREATE TABLE "
            + table
            + " (id UInt64, k String, _sluice_batch String) ENGINE = MergeTree ORDER BY id");
    ClickHouseSink<TestRecord> sink =
        ClickHouseSink.<TestRecord>builder()
            .url(clickhouse.httpsUrl())
            .credentials(CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)
            .trustStore(pki.trustStore(), "PKCS12", pki.password())
            .table(table)
            .rows(r -> Map.of("id", r.id(), "k", r.key()))
            .build();

    writeAndCommitTwice(sink, 1000);

    String[] f =
        clickhouse
            .query("SELECT count(), uniqExact(id) FROM " + table + " FORMAT TSV")
            .trim()
            .split("\t");
    assertThat(f).containsExactly("1000", "1000");
    assertThat(sink.toString()).doesNotContain(CLICKHOUSE_PASSWORD);
  }

  /**
   * Every sink misconfigured with a secret: wrong passwords (in a URI and in credentials), a
   * password in a URL that is refused, a trust store opened with a wrong password. Each fails; then
   * the test searches what a user could see (everything logged, every message, cause and stack
   * trace of the failures, the sinks' toString() and their metric tags) for each secret.
   */
  @Test
  void shouldKeepEverySecretOutOfLogsMessagesToStringsAndMetricTags() {
    String wrongRedis = "wrong-redis-" + System.nanoTime();
    String wrongClickHouse = "wrong-ch-" + System.nanoTime();
    String inUrl = "url-pw-" + System.nanoTime();
    String wrongStore = "wrong-store-" + System.nanoTime();
    List<String> secrets =
        List.of(
            wrongRedis, wrongClickHouse, inUrl, wrongStore, REDIS_PASSWORD, CLICKHOUSE_PASSWORD);
    StringBuilder seen = new StringBuilder();
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream err = System.err;
    java.io.PrintStream out = System.out;
    java.io.PrintStream both = new java.io.PrintStream(captured, true);
    System.setErr(both);
    System.setOut(both);
    List<TestSinkContext> contexts = new java.util.ArrayList<>();
    try {
      RedisSink<TestRecord> redisSink =
          RedisSink.<TestRecord>builder()
              .uri(
                  redis
                      .url()
                      .replace("rediss://", "rediss://" + REDIS_USER + ":" + wrongRedis + "@"))
              .trustStore(pki.trustStore(), "PKCS12", pki.password())
              .retryTimeout(Duration.ofMillis(500)) // its retries are logged
              .retryBackoff(Duration.ofMillis(100))
              .commands(r -> List.of(RedisCommand.incrBy("never", 1)))
              .build();
      seen.append(redisSink).append('\n');
      seen.append(failureOf(() -> writeAndCommitTwice(redisSink, 10, contexts)));

      ClickHouseSink<TestRecord> clickHouseSink =
          ClickHouseSink.<TestRecord>builder()
              .url(clickhouse.httpsUrl())
              .credentials(CLICKHOUSE_USER, wrongClickHouse)
              .trustStore(pki.trustStore(), "PKCS12", pki.password())
              .retryTimeout(Duration.ofMillis(500))
              .retryBackoff(Duration.ofMillis(100))
              .table("never")
              .rows(r -> Map.of("id", r.id()))
              .build();
      seen.append(clickHouseSink).append('\n');
      String clickHouseFailure = failureOf(() -> writeAndCommitTwice(clickHouseSink, 10, contexts));
      assertThat(clickHouseFailure)
          .as("the server refused the wrong password")
          .contains("Wrong password for user " + CLICKHOUSE_USER)
          .contains("refused the credentials");
      seen.append(clickHouseFailure);

      seen.append(
          failureOf(
              () ->
                  ClickHouseSink.<TestRecord>builder()
                      .url("https://" + CLICKHOUSE_USER + ":" + inUrl + "@127.0.0.1:8443")));
      seen.append(
          failureOf(
              () ->
                  RedisSink.<TestRecord>builder()
                      .uri("rediss://" + REDIS_USER + ":" + inUrl + "@127.0.0.1:notaport")));
      seen.append(
          failureOf(
              () ->
                  writeAndCommitTwice(
                      ClickHouseSink.<TestRecord>builder()
                          .url(clickhouse.httpsUrl())
                          .trustStore(pki.trustStore(), "PKCS12", wrongStore)
                          .table("never")
                          .rows(r -> Map.of("id", r.id()))
                          .build(),
                      10,
                      contexts)));
    } finally {
      System.setErr(err);
      System.setOut(out);
    }
    for (TestSinkContext context : contexts) {
      context.meterRegistry().getMeters().forEach(m -> seen.append(m.getId()).append('\n'));
    }
    String logged = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    System.out.println("--- captured while failing ---\n" + logged + "\n--- seen ---\n" + seen);
    // these refusals are not retried, so the sinks log nothing here; a running app's log of such
    // a failure is searched by shouldKeepTheSecretOutOfTheLogOfAnAppThatFailsOnIt
    for (String secret : secrets) {
      assertThat(logged).as("log output").doesNotContain(secret);
      assertThat(seen.toString()).as("messages, toString()s and meters").doesNotContain(secret);
    }
  }

  /**
   * A running app whose Redis sink has a wrong password (given in the URI): its checkpoints fail,
   * the app fails and logs why at ERROR with the stack trace, as an app in production would. The
   * password is nowhere in that log, in the failure, or in the app's metric tags.
   */
  @Test
  void shouldKeepTheSecretOutOfTheLogOfAnAppThatFailsOnIt(@TempDir Path stateDir) throws Exception {
    String wrong = "wrong-app-redis-" + System.nanoTime();
    String topic = PulsarFixture.uniqueTopic("secrets-in");
    PulsarFixture.produce(topic, "m", 0, 20, 5);
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    java.io.PrintStream err = System.err;
    System.setErr(new java.io.PrintStream(captured, true));
    Throwable failure;
    Sluice app =
        Sluice.builder()
            .name("secrets")
            .pulsar(PulsarFixture.broker().serviceUrl(), PulsarFixture.broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(200))
            .maxConsecutiveCheckpointFailures(1)
            .build();
    try {
      app.stream(PulsarSource.topics(topic).startAt(StartPosition.earliest()))
          .sinkTo(
              RedisSink.<SourceRecord>builder()
                  .uri(
                      redis
                          .url()
                          .replace("rediss://", "rediss://" + REDIS_USER + ":" + wrong + "@"))
                  .trustStore(pki.trustStore(), "PKCS12", pki.password())
                  .commands(r -> List.of(RedisCommand.incrBy("never", 1)))
                  .build());
      app.start();
      assertThat(app.awaitTermination(Duration.ofSeconds(60))).as("the app failed").isTrue();
      failure = catchThrowable(app::close);
    } finally {
      System.setErr(err);
    }
    String logged = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    StringBuilder seen = new StringBuilder(chainText(failure));
    app.meterRegistry().getMeters().forEach(m -> seen.append(m.getId()).append('\n'));
    System.out.println("--- app log ---\n" + logged + "\n--- seen ---\n" + seen);
    assertThat(logged).as("the app's log").contains("WRONGPASS").doesNotContain(wrong);
    assertThat(seen.toString()).contains("WRONGPASS").doesNotContain(wrong);
  }

  private static void writeAndCommitTwice(
      Sink<TestRecord> sink, int count, List<TestSinkContext> contexts) {
    TestSinkContext context = new TestSinkContext(sink.name(), 0);
    contexts.add(context);
    try (SinkWriter<TestRecord> writer = sink.createWriter(context)) {
      for (long id = 0; id < count; id++) {
        writer.write(new TestRecord(id, "k"));
      }
      Committable prepared = writer.prepareCommit(1).join();
      Committer committer = sink.createCommitter(context);
      committer.commit(prepared);
      committer.close();
    }
  }

  /** The failure's full text (messages, causes, suppressed, stack), asserting there was one. */
  private static String failureOf(Runnable action) {
    Throwable failure = catchThrowable(action::run);
    assertThat(failure).as("a misconfigured sink fails").isNotNull();
    return chainText(failure);
  }

  static RedisClient tlsClient() {
    return RedisClient.builder()
        .hostAndPort(redis.host(), redis.port())
        .clientConfig(
            DefaultJedisClientConfig.builder()
                .user(REDIS_USER)
                .password(REDIS_PASSWORD)
                .sslOptions(
                    SslOptions.builder()
                        .truststore(pki.trustStore().toFile(), pki.password().toCharArray())
                        .trustStoreType("PKCS12")
                        .sslVerifyMode(SslVerifyMode.FULL)
                        .build())
                .build())
        .build();
  }

  /** Every message of the chain, with suppressed exceptions, as one text. */
  static String chainText(Throwable t) {
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
