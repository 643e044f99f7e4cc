package io.sluice.samples.serving;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.Sluice;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ZRangeParams;
import redis.clients.jedis.resps.Tuple;

/**
 * The serving sample's HTTP API (JDK {@code HttpServer}, no framework). Every answer is read from
 * Redis, where the embedded job keeps the counters; {@code /health} is built from the job's state
 * and the age of its last checkpoint.
 *
 * <pre>
 * GET /health          200 {"state":"RUNNING","checkpoint":12,"checkpointAgeMs":840,...} or 503
 * GET /plays/total     {"plays":123456}
 * GET /songs/top?n=10  [{"song":"song-0","plays":5012}, ...]       (leaderboard, ZRANGE … REV)
 * GET /songs/song-7    {"song":"song-7","plays":812,"listeners":640} (INCRBY counter, PFCOUNT)
 * GET /listeners       {"listeners":4980}                            (PFCOUNT of all users)
 * </pre>
 */
final class ServingApi implements AutoCloseable {
  private final HttpServer server;
  private final RedisClient redis;
  private final RedisKeys keys;
  private final Sluice app;
  private final Duration healthyCheckpointAge;
  private final long startedMillis = System.currentTimeMillis();

  ServingApi(int port, RedisClient redis, RedisKeys keys, Sluice app, Duration checkpoint)
      throws IOException {
    this.redis = redis;
    this.keys = keys;
    this.app = app;
    // a checkpoint older than a few intervals means the job is stuck (or its sinks are down)
    this.healthyCheckpointAge = checkpoint.multipliedBy(5).plusSeconds(10);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/health", this::health);
    server.createContext("/plays/total", ex -> answer(ex, 200, total()));
    server.createContext("/songs/top", this::top);
    server.createContext("/songs/", this::song);
    server.createContext(
        "/listeners",
        ex -> answer(ex, 200, "{\"listeners\":" + redis.pfcount(keys.allListeners()) + "}"));
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private String total() {
    String v = redis.get(keys.total());
    return "{\"plays\":" + (v == null ? 0 : v) + "}";
  }

  private void health(HttpExchange ex) throws IOException {
    long last = app.lastCompletedCheckpointAtMillis();
    long age = System.currentTimeMillis() - (last == 0 ? startedMillis : last);
    boolean healthy = app.state() == Sluice.State.RUNNING && age <= healthyCheckpointAge.toMillis();
    answer(
        ex,
        healthy ? 200 : 503,
        "{\"state\":\"%s\",\"checkpoint\":%d,\"checkpointAgeMs\":%d,\"recovery\":\"%s\",\"partitions\":%d}"
            .formatted(
                app.state(),
                app.lastCompletedCheckpoint(),
                age,
                app.recoveryLayer(),
                app.partitions().size()));
  }

  private void top(HttpExchange ex) throws IOException {
    String query = ex.getRequestURI().getQuery();
    int n = query != null && query.startsWith("n=") ? Integer.parseInt(query.substring(2)) : 10;
    List<Tuple> top = redis.zrangeWithScores(keys.leaderboard(), new ZRangeParams(0, n - 1).rev());
    StringBuilder json = new StringBuilder("[");
    for (Tuple t : top) {
      json.append(json.length() > 1 ? "," : "")
          .append("{\"song\":\"")
          .append(t.getElement())
          .append("\",\"plays\":")
          .append((long) t.getScore())
          .append('}');
    }
    answer(ex, 200, json.append(']').toString());
  }

  private void song(HttpExchange ex) throws IOException {
    String song = ex.getRequestURI().getPath().substring("/songs/".length());
    if (!song.matches("[A-Za-z0-9_-]+")) {
      answer(ex, 400, "{\"error\":\"bad song name\"}");
      return;
    }
    String plays = redis.get(keys.songPlays(song));
    answer(
        ex,
        plays == null ? 404 : 200,
        "{\"song\":\"%s\",\"plays\":%s,\"listeners\":%d}"
            .formatted(song, plays == null ? 0 : plays, redis.pfcount(keys.listeners(song))));
  }

  private static void answer(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
