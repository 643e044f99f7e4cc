package io.sluice.samples.common;

import io.sluice.testkit.ClickHouseServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The ClickHouse server a sample uses: {@code --clickhouse http://host:8123} if given, else one
 * started from the installed Debian binary by the test kit (stopped on close). Queries go over
 * HTTP, as the sink's do.
 */
public final class ClickHouseEndpoint implements AutoCloseable {
  private final String url;
  private final ClickHouseServer embedded;
  private final HttpClient http = HttpClient.newHttpClient();

  private ClickHouseEndpoint(String url, ClickHouseServer embedded) {
    this.url = url;
    this.embedded = embedded;
  }

  public static ClickHouseEndpoint open(SampleOptions options, Path work, String sample) {
    String url = options.string("clickhouse", null);
    if (url != null) {
      System.out.printf("%s: using ClickHouse at %s%n", sample, url);
      return new ClickHouseEndpoint(url, null);
    }
    ClickHouseServer server = ClickHouseServer.start(work.resolve("clickhouse"));
    System.out.printf("%s: started ClickHouse at %s%n", sample, server.httpUrl());
    return new ClickHouseEndpoint(server.httpUrl(), server);
  }

  public String url() {
    return url;
  }

  /** Runs one statement; returns the body (e.g. TabSeparated rows); throws on a non-200 answer. */
  public String query(String sql) throws IOException, InterruptedException {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url + "/"))
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(sql))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(
          "ClickHouse answered " + response.statusCode() + " to [" + sql + "]: " + response.body());
    }
    return response.body();
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.close();
    }
  }
}
