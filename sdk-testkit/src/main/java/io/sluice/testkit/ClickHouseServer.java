package io.sluice.testkit;

import io.sluice.testkit.internal.Binaries;
import io.sluice.testkit.internal.FreePorts;
import io.sluice.testkit.internal.ManagedProcess;
import io.sluice.testkit.internal.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A real ClickHouse server (the Debian package, started as a plain process on free loopback ports).
 * {@link #stop()} and {@link #start()} keep the ports and data, for outage tests.
 *
 * <pre>{@code
 * try (ClickHouseServer ch = ClickHouseServer.start(tempDir)) {
 *   ch.query("CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id");
 * }
 * }</pre>
 */
public final class ClickHouseServer implements AutoCloseable {
  private final Path dir;
  private final int httpPort;
  private final int tcpPort;
  private final Path binary;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Secured secured;
  private ManagedProcess process;

  /** A user with a password, and HTTPS on its own port with a certificate from a test CA. */
  private record Secured(String user, String password, TestPki pki, int httpsPort) {}

  private ClickHouseServer(Path dir, Path binary, Secured secured) {
    this.dir = dir.toAbsolutePath();
    this.binary = binary;
    this.httpPort = FreePorts.next();
    this.tcpPort = FreePorts.next();
    this.secured = secured;
  }

  /**
   * Starts a server that also has the user {@code user} with {@code password} and an HTTPS port
   * ({@link #httpsUrl()}) with a certificate for 127.0.0.1 issued by {@code pki}. The plain port
   * and the password-less {@code default} user stay, for the test's own statements.
   */
  public static ClickHouseServer startSecured(Path dir, TestPki pki, String user, String password) {
    Objects.requireNonNull(dir, "dir must not be null");
    Objects.requireNonNull(pki, "pki must not be null");
    ClickHouseServer server =
        new ClickHouseServer(
            dir,
            Binaries.require("clickhouse-server", "clickhouse-server"),
            new Secured(user, password, pki, FreePorts.next()));
    server.start();
    return server;
  }

  /** The HTTPS interface of a server from {@link #startSecured}. */
  public String httpsUrl() {
    if (secured == null) {
      throw new UnsupportedOperationException("only a server from startSecured has HTTPS");
    }
    return "https://127.0.0.1:" + secured.httpsPort();
  }

  /** Starts a server whose data, config and logs live under {@code dir}. */
  public static ClickHouseServer start(Path dir) {
    Objects.requireNonNull(dir, "dir must not be null");
    ClickHouseServer server =
        new ClickHouseServer(dir, Binaries.require("clickhouse-server", "clickhouse-server"), null);
    server.start();
    return server;
  }

  /** The HTTP interface, e.g. {@code http://127.0.0.1:8123}. */
  public String httpUrl() {
    return "http://127.0.0.1:" + httpPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** (Re)starts the server on the same ports and data. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      for (String sub : List.of("data", "tmp", "user_files", "format_schemas", "log")) {
        Files.createDirectories(dir.resolve(sub));
      }
      Path config = writeConfig();
      process =
          ManagedProcess.start(
              "clickhouse-server",
              List.of(binary.toString(), "--config-file=" + config),
              dir.resolve("log/stdout.log"));
      Waits.until("ClickHouse at " + httpUrl(), Duration.ofSeconds(60), process, this::isReady);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare ClickHouse in " + dir, e);
    }
  }

  /**
   * Stops the server (SIGTERM, SIGKILL after 5 s: 18.16 often lingers on SIGTERM, and inserted
   * parts are already on disk); {@link #start()} brings it back.
   */
  public synchronized void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(5));
      process = null;
    }
  }

  /** Runs one statement over HTTP and returns the body; a non-200 answer throws with its text. */
  public String query(String sql) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(httpUrl() + "/"))
                  .timeout(Duration.ofSeconds(60))
                  .POST(HttpRequest.BodyPublishers.ofString(sql))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "ClickHouse answered "
                + response.statusCode()
                + " to ["
                + sql
                + "]: "
                + response.body()
                + errorLogTail());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException("ClickHouse at " + httpUrl() + " unreachable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Sends {@code body} as the data of {@code INSERT ... FORMAT ...} given in {@code query}. */
  public void insert(String query, String body) {
    try {
      URI uri =
          URI.create(httpUrl() + "/?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(Duration.ofSeconds(60))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(
            "ClickHouse answered "
                + response.statusCode()
                + " to ["
                + query
                + "]: "
                + response.body()
                + errorLogTail());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ClickHouse at " + httpUrl() + " unreachable", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The last lines of the server's error log, to explain a refused statement. */
  private String errorLogTail() {
    Path log = dir.resolve("log/clickhouse-server.err.log");
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "\n--- last lines of "
          + log
          + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException | RuntimeException e) {
      return " (no error log at " + log + ": " + e + ")";
    }
  }

  private boolean isReady() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(httpUrl() + "/ping"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Path writeConfig() throws IOException {
    Path users = dir.resolve("users.xml");
    Files.writeString(
        users,
        """
        <?xml version="1.0"?>
        <yandex>
          <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
          <users>
            <default>
              <password></password>
              <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
              <profile>default</profile>
              <quota>default</quota>
            </default>
            %s
          </users>
          <quotas><default></default></quotas>
        </yandex>
        """
            .formatted(secured == null ? "" : userXml()),
        StandardCharsets.UTF_8);
    Path config = dir.resolve("config.xml");
    Files.writeString(
        config,
        """
        <?xml version="1.0"?>
        <yandex>
          <logger>
            <level>warning</level>
            <log>%1$s/log/clickhouse-server.log</log>
            <errorlog>%1$s/log/clickhouse-server.err.log</errorlog>
          </logger>
          <listen_host>127.0.0.1</listen_host>
          <http_port>%2$d</http_port>
          <tcp_port>%3$d</tcp_port>
          <path>%1$s/data/</path>
          <tmp_path>%1$s/tmp/</tmp_path>
          <user_files_path>%1$s/user_files/</user_files_path>
          <format_schema_path>%1$s/format_schemas/</format_schema_path>
          <users_config>%4$s</users_config>
          <default_profile>default</default_profile>
          <default_database>default</default_database>
          <mark_cache_size>268435456</mark_cache_size>
          <timezone>UTC</timezone>
          %5$s
        </yandex>
        """
            .formatted(dir, httpPort, tcpPort, users, secured == null ? "" : httpsXml()),
        StandardCharsets.UTF_8);
    return config;
  }

  private String userXml() {
    return """
        <%1$s>
          <password>%2$s</password>
          <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
          <profile>default</profile>
          <quota>default</quota>
        </%1$s>
        """
        .formatted(secured.user(), secured.password());
  }

  private String httpsXml() {
    TestPki.Issued cert = secured.pki().issue("clickhouse", "127.0.0.1");
    return """
        <https_port>%d</https_port>
        <openSSL>
          <server>
            <certificateFile>%s</certificateFile>
            <privateKeyFile>%s</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
          </server>
        </openSSL>
        """
        .formatted(secured.httpsPort(), cert.certificatePem(), cert.privateKeyPem());
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "ClickHouseServer{" + httpUrl() + "}";
  }
}
