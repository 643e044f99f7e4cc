package io.sluice.sink.clickhouse.internal;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * ClickHouse's HTTP interface with the JDK client: plain HTTP and JSONEachRow are what work against
 * 18.16 (the official Java clients do not). Thread-safe.
 */
public final class ClickHouseHttp {
  private final String baseUrl;
  private final String database;
  private final String user;
  private final String password;
  private final Duration timeout;
  private final HttpClient http;

  public ClickHouseHttp(
      String baseUrl, String database, String user, String password, Duration timeout) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    this.database = database;
    this.user = user;
    this.password = password;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public String url() {
    return baseUrl;
  }

  /** Runs one statement (sent as the body) and returns the answer; throws on anything but 200. */
  public String execute(String sql, String queryId) {
    return send(params(null, queryId), HttpRequest.BodyPublishers.ofString(sql), sql);
  }

  /** Sends {@code rows} as the data of {@code insert} (e.g. {@code INSERT INTO t FORMAT ...}). */
  public void insert(String insert, byte[] rows) {
    insert(insert, rows, null);
  }

  /**
   * Like {@link #insert(String, byte[])}, with {@code insert_deduplication_token} when {@code
   * token} is not null (only for servers where {@link #supportsDeduplicationToken} is true).
   */
  public void insert(String insert, byte[] rows, String token) {
    String params = params(insert, null);
    if (token != null) {
      params += "&insert_deduplication_token=" + encode(token);
    }
    send(params, HttpRequest.BodyPublishers.ofByteArray(rows), insert);
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
    String answer = execute(sql + " FORMAT TSV", null).trim();
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

  private String params(String query, String queryId) {
    StringBuilder b = new StringBuilder("?database=").append(encode(database));
    if (query != null) {
      b.append("&query=").append(encode(query));
    }
    if (queryId != null) {
      b.append("&query_id=").append(encode(queryId));
    }
    if (user != null) {
      b.append("&user=").append(encode(user));
    }
    if (password != null) {
      b.append("&password=").append(encode(password));
    }
    return b.toString();
  }

  private String send(String params, HttpRequest.BodyPublisher body, String what) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUrl + params)).timeout(timeout).POST(body).build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ClickHouseError(
          "ClickHouse at " + baseUrl + " unreachable for [" + abbreviate(what) + "]: " + e,
          -1,
          null,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClickHouseError("interrupted during [" + abbreviate(what) + "]", -1, null, e);
    }
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
