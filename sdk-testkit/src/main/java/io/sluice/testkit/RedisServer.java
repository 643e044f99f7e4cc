package io.sluice.testkit;

import io.sluice.testkit.internal.Binaries;
import io.sluice.testkit.internal.FreePorts;
import io.sluice.testkit.internal.ManagedProcess;
import io.sluice.testkit.internal.Waits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Redis server (the Debian package) on a free loopback port, without persistence. {@link
 * #stop()} and {@link #start()} keep the port, for outage tests (the data does not survive a stop).
 */
public final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Path binary;
  private final Secured secured;
  private ManagedProcess process;

  /** TLS only, with a certificate from a test CA, and an ACL user instead of {@code default}. */
  private record Secured(TestPki pki, TestPki.Issued cert, String user, String password) {}

  private RedisServer(Path dir, Path binary, Secured secured) {
    this.dir = dir.toAbsolutePath();
    this.binary = binary;
    this.port = FreePorts.next();
    this.secured = secured;
  }

  /**
   * Starts a server that speaks only TLS on {@link #port()} (certificate for 127.0.0.1 issued by
   * {@code pki}; clients need no certificate) and lets in only the ACL user {@code user} with
   * {@code password} (the {@code default} user is off). Needs a redis-server built with TLS, as
   * Debian's is.
   */
  public static RedisServer startSecured(Path dir, TestPki pki, String user, String password) {
    Objects.requireNonNull(dir, "dir must not be null");
    Objects.requireNonNull(pki, "pki must not be null");
    RedisServer server =
        new RedisServer(
            dir,
            Binaries.require("redis-server", "redis-server"),
            new Secured(pki, pki.issue("redis", "127.0.0.1"), user, password));
    server.start();
    return server;
  }

  public static RedisServer start(Path dir) {
    Objects.requireNonNull(dir, "dir must not be null");
    RedisServer server =
        new RedisServer(dir, Binaries.require("redis-server", "redis-server"), null);
    server.start();
    return server;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}, or {@code rediss://…} for a server from startSecured. */
  public String url() {
    return (secured == null ? "redis" : "rediss") + "://127.0.0.1:" + port;
  }

  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of("--bind", "127.0.0.1"));
    if (secured == null) {
      command.addAll(List.of("--port", Integer.toString(port)));
    } else {
      command.addAll(
          List.of(
              "--port",
              "0",
              "--tls-port",
              Integer.toString(port),
              "--tls-cert-file",
              secured.cert().certificatePem().toString(),
              "--tls-key-file",
              secured.cert().privateKeyPem().toString(),
              "--tls-ca-cert-file",
              secured.pki().caPem().toString(),
              "--tls-auth-clients",
              "no",
              "--user",
              "default",
              "off",
              "--user",
              secured.user(),
              "on",
              ">" + secured.password(),
              "~*",
              "&*",
              "+@all"));
    }
    command.addAll(
        List.of(
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            dir.toString(),
            "--logfile",
            dir.resolve("redis.log").toString()));
    process = ManagedProcess.start("redis-server", command, dir.resolve("stdout.log"));
    Waits.until("Redis at " + url(), Duration.ofSeconds(30), process, this::ping);
  }

  public synchronized void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
      process = null;
    }
  }

  /** Whether the server answers: PONG, or for a secured one any answer (it wants AUTH first). */
  private boolean ping() {
    try (Socket socket = secured == null ? new Socket() : tlsSocket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      String answer = new String(buf, 0, n, StandardCharsets.US_ASCII);
      return answer.startsWith("+PONG") || (secured != null && answer.startsWith("-NOAUTH"));
    } catch (IOException e) {
      return false;
    }
  }

  private Socket tlsSocket() throws IOException {
    try (InputStream in = Files.newInputStream(secured.pki().trustStore())) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, secured.pki().password().toCharArray());
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context.getSocketFactory().createSocket();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS to Redis", e);
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "RedisServer{" + url() + "}";
  }
}
