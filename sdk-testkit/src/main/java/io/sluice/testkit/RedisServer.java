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
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A real Redis server (the Debian package) on a free loopback port, without persistence. {@link
 * #stop()} and {@link #start()} keep the port, for outage tests (the data does not survive a stop).
 */
public final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Path binary;
  private ManagedProcess process;

  private RedisServer(Path dir, Path binary) {
    this.dir = dir.toAbsolutePath();
    this.binary = binary;
    this.port = FreePorts.next();
  }

  public static RedisServer start(Path dir) {
    Objects.requireNonNull(dir, "dir must not be null");
    RedisServer server = new RedisServer(dir, Binaries.require("redis-server", "redis-server"));
    server.start();
    return server;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
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
    process =
        ManagedProcess.start(
            "redis-server",
            List.of(
                binary.toString(),
                "--bind",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--logfile",
                dir.resolve("redis.log").toString()),
            dir.resolve("stdout.log"));
    Waits.until("Redis at " + url(), Duration.ofSeconds(30), process, this::ping);
  }

  public synchronized void stop() {
    if (process != null) {
      process.stop(Duration.ofSeconds(10));
      process = null;
    }
  }

  private boolean ping() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
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
