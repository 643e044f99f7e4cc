package io.sluice.sink.clickhouse.internal;

import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ClickHouse's HTTP interface with the JDK client: plain HTTP and JSONEachRow are what work against
 * 18.16 (the official Java clients do not). Thread-safe.
 */
public final class ClickHouseHttp {
  private final String baseUrl;
  private final String database;

  /** {@code Basic <base64(user:password)>}, or null to use the server's default user. */
  private final Secret authorization;

  private final Duration timeout;
  private final HttpClient http;

  /**
   * One JDK client for every sink, writer, committer and lookup of the JVM: it is thread-safe, and
   * each instance has its own selector thread and connection pool, which a new writer would
   * otherwise start (and warm up) again.
   */
  private static final HttpClient SHARED =
      HttpClient.newBuilder()
          .version(
              HttpClient.Version.HTTP_1_1) // all ClickHouse speaks; no h2c upgrade per connection
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  /** Clients for HTTPS with a trust store of their own, one per trust store. */
  private static final Map<TlsTrust, HttpClient> WITH_TRUST = new ConcurrentHashMap<>();

  /**
   * A connection to the server at {@code baseUrl}. Credentials travel in an HTTP Basic-auth header
   * (not as URL parameters, which servers and proxies log); {@code trust}, when not null, is what
   * an {@code https} URL is checked against instead of the JVM's default trust.
   */
  public ClickHouseHttp(
      String baseUrl,
      String database,
      String user,
      Secret password,
      TlsTrust trust,
      Duration timeout) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    this.database = database;
    this.authorization = basic(user, password);
    this.timeout = timeout;
    this.http = trust == null ? SHARED : WITH_TRUST.computeIfAbsent(trust, ClickHouseHttp::client);
  }

  private static HttpClient client(TlsTrust trust) {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .sslContext(trust.sslContext())
        .build();
  }

  private static Secret basic(String user, Secret password) {
    if (user == null && password == null) {
      return null;
    }
    String pair =
        (user == null ? "default" : user) + ":" + (password == null ? "" : password.reveal());
    return Secret.of(
        "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
  }

  public String url() {
    return baseUrl;
  }

  /** Runs one statement (sent as the body) and returns the answer; throws on anything but 200. */
  public String execute(String sql, String queryId) {
    return send(params(null, queryId), HttpRequest.BodyPublishers.ofString(sql), sql);
  }

  /**
   * Sends {@code rows} as the data of {@code insert} (e.g. {@code INSERT INTO t FORMAT ...}), with
   * {@code insert_deduplication_token} when {@code token} is not null (only for servers where
   * {@link #supportsDeduplicationToken} is true), run under {@code queryId} when not null: the
   * server refuses it (code 216) while a statement with that id still runs, e.g. an earlier try the
   * client gave up on.
   */
  public void insert(String insert, byte[] rows, String token, String queryId) {
    send(
        insertParams(insert, token, queryId), HttpRequest.BodyPublishers.ofByteArray(rows), insert);
  }

  private String insertParams(String insert, String token, String queryId) {
    String params = params(insert, queryId);
    if (token != null) {
      params += "&insert_deduplication_token=" + encode(token);
    }
    return params;
  }

  /** The server's version, e.g. {@code 18.16.1}. */
  public String serverVersion() {
    return execute("SELECT version() FORMAT TSV", null).trim();
  }

  /**
   * Whether a server of {@code version} honours {@code insert_deduplication_token} (ClickHouse 22.2
   * and later); 18.16, the Debian 12 package, does not.
   */
  public static boolean supportsDeduplicationToken(String version) {
    String[] parts = version.trim().split("\\.");
    try {
      int major = Integer.parseInt(parts[0]);
      int minor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return major > 22 || (major == 22 && minor >= 2);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The number a one-value query returns (ClickHouse quotes nothing in TSV). */
  public long scalar(String sql) {
    return scalar(sql, null);
  }

  /** Like {@link #scalar(String)}, run under {@code queryId} (refused while one runs under it). */
  public long scalar(String sql, String queryId) {
    String answer = execute(sql + " FORMAT TSV", queryId).trim();
    try {
      return Long.parseLong(answer);
    } catch (NumberFormatException e) {
      throw new ClickHouseError(
          "ClickHouse at " + baseUrl + " answered '" + answer + "' to [" + sql + "]",
          200,
          answer,
          e);
    }
  }

  /**
   * Like {@link #insert(String, byte[], String, String)}, without waiting: the future fails with a
   * {@link ClickHouseError} on anything but 200. The caller keeps the rows until it completes.
   */
  public CompletableFuture<Void> insertAsync(
      String insert, byte[] rows, String token, String queryId) {
    return sendAsync(
            insertParams(insert, token, queryId),
            HttpRequest.BodyPublishers.ofByteArray(rows),
            insert)
        .thenApply(body -> null);
  }

  /** Runs one statement without waiting; the future fails with a {@link ClickHouseError}. */
  public CompletableFuture<String> executeAsync(String sql) {
    return sendAsync(params(null, null), HttpRequest.BodyPublishers.ofString(sql), sql);
  }

  private String params(String query, String queryId) {
    StringBuilder b = new StringBuilder("?database=").append(encode(database));
    if (query != null) {
      b.append("&query=").append(encode(query));
    }
    if (queryId != null) {
      b.append("&query_id=").append(encode(queryId));
    }
    return b.toString();
  }

  private String send(String params, HttpRequest.BodyPublisher body, String what) {
    HttpResponse<String> response;
    try {
      response = http.send(request(params, body), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw unreachable(what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClickHouseError("interrupted during [" + abbreviate(what) + "]", -1, null, e);
    }
    return checked(response, what);
  }

  private CompletableFuture<String> sendAsync(
      String params, HttpRequest.BodyPublisher body, String what) {
    return http.sendAsync(request(params, body), HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) -> {
              if (failure != null) {
                Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause()
                        : failure;
                throw unreachable(what, cause);
              }
              return checked(response, what);
            });
  }

  private HttpRequest request(String params, HttpRequest.BodyPublisher body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + params)).timeout(timeout).POST(body);
    if (authorization != null) {
      request.header("Authorization", authorization.reveal());
    }
    return request.build();
  }

  private ClickHouseError unreachable(String what, Throwable cause) {
    return new ClickHouseError(
        "ClickHouse at " + baseUrl + " unreachable for [" + abbreviate(what) + "]: " + cause,
        -1,
        null,
        cause);
  }

  private String checked(HttpResponse<String> response, String what) {
    if (response.statusCode() != 200) {
      throw new ClickHouseError(
          "ClickHouse at "
              + baseUrl
              + " answered "
              + response.statusCode()
              + " to ["
              + abbreviate(what)
              + "]: "
              + response.body().trim(),
          response.statusCode(),
          response.body(),
          null);
    }
    return response.body();
  }

  private static String abbreviate(String sql) {
    return sql.length() > 300 ? sql.substring(0, 300) + "..." : sql;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
