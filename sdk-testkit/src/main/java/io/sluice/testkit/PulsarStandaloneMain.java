package io.sluice.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

/**
 * Command-line launcher behind {@code scripts/pulsar-standalone.sh start|stop|status}: starts a
 * broker that outlives the launcher and records its URLs and pid in {@code <dir>/pulsar.env}.
 */
public final class PulsarStandaloneMain {
  private PulsarStandaloneMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: PulsarStandaloneMain start|stop|status <dir>");
      System.exit(2);
    }
    Path dir = Path.of(args[1]).toAbsolutePath();
    Path envFile = dir.resolve("pulsar.env");
    switch (args[0]) {
      case "start" -> start(dir, envFile);
      case "stop" -> stop(envFile);
      case "status" -> System.exit(status(envFile) ? 0 : 1);
      default -> {
        System.err.println("unknown command " + args[0] + "; use start, stop or status");
        System.exit(2);
      }
    }
  }

  private static void start(Path dir, Path envFile) throws IOException {
    if (read(envFile).flatMap(PulsarStandaloneMain::process).isPresent()) {
      status(envFile);
      return;
    }
    long started = System.nanoTime();
    PulsarStandalone broker = PulsarStandalone.start(dir, false);
    String env =
        "SLUICE_PULSAR_URL="
            + broker.serviceUrl()
            + "\nSLUICE_PULSAR_ADMIN_URL="
            + broker.adminUrl()
            + "\nPULSAR_PID="
            + broker.pid()
            + "\n";
    Files.writeString(envFile, env, StandardCharsets.UTF_8);
    System.out.print(env);
    System.out.printf(
        "started in %.1f s; log %s%n", (System.nanoTime() - started) / 1e9, broker.logFile());
  }

  private static Optional<Properties> read(Path envFile) throws IOException {
    if (!Files.exists(envFile)) {
      return Optional.empty();
    }
    Properties props = new Properties();
    try (var reader = Files.newBufferedReader(envFile)) {
      props.load(reader);
    }
    return Optional.of(props);
  }

  private static Optional<ProcessHandle> process(Properties props) {
    return ProcessHandle.of(Long.parseLong(props.getProperty("PULSAR_PID", "-1")))
        .filter(ProcessHandle::isAlive);
  }

  private static boolean status(Path envFile) throws IOException {
    Optional<Properties> props = read(envFile);
    if (props.isPresent() && process(props.get()).isPresent()) {
      System.out.println("SLUICE_PULSAR_URL=" + props.get().getProperty("SLUICE_PULSAR_URL"));
      System.out.println(
          "SLUICE_PULSAR_ADMIN_URL=" + props.get().getProperty("SLUICE_PULSAR_ADMIN_URL"));
      System.out.println("PULSAR_PID=" + props.get().getProperty("PULSAR_PID") + " (running)");
      return true;
    }
    System.out.println("not running");
    return false;
  }

  private static void stop(Path envFile) throws IOException {
    Optional<Properties> props = read(envFile);
    Optional<ProcessHandle> handle = props.flatMap(PulsarStandaloneMain::process);
    if (handle.isEmpty()) {
      System.out.println("not running");
      Files.deleteIfExists(envFile);
      return;
    }
    handle.get().destroy();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (handle.get().isAlive() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (handle.get().isAlive()) {
      handle.get().destroyForcibly();
    }
    Files.deleteIfExists(envFile);
    System.out.println("stopped pid " + handle.get().pid());
  }
}
