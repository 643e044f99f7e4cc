package io.sluice.testkit;

import io.sluice.testkit.internal.Classpaths;
import io.sluice.testkit.internal.ParentWatchdogMain;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs a main class in a child JVM on this JVM's classpath, reads its standard output line by line,
 * and kills it with SIGKILL: the base of every crash test.
 *
 * <pre>{@code
 * try (ChildJvm job = ChildJvm.builder(MyJob.class).args("--input", topic).start()) {
 *   job.awaitLine(l -> l.startsWith("READY"), Duration.ofSeconds(30));
 *   job.kill();                      // SIGKILL, no shutdown hooks run
 * }
 * }</pre>
 *
 * <p>Standard output is also copied, with standard error, to the log file (by default under {@code
 * target/child-jvm/}). The child halts itself when this JVM dies.
 */
public final class ChildJvm implements AutoCloseable {
  private static final String EOF = new String("<eof>");

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Path logFile;
  private final String name;

  private ChildJvm(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  public static Builder builder(Class<?> mainClass) {
    Objects.requireNonNull(mainClass, "mainClass must not be null");
    return new Builder(mainClass.getName());
  }

  public static Builder builder(String mainClass) {
    Objects.requireNonNull(mainClass, "mainClass must not be null");
    return new Builder(mainClass);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public Path logFile() {
    return logFile;
  }

  /** The next line the child printed, or {@code null} if none came in time or output ended. */
  public String readLine(Duration timeout) {
    try {
      String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (line == EOF) {
        lines.add(EOF);
        return null;
      }
      return line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Reads lines until one matches; throws, naming the log, if none does in time. */
  public String awaitLine(Predicate<String> matcher, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            name + ": no matching line within " + timeout + "; see " + logFile);
      }
      String line = readLine(Duration.ofNanos(left));
      if (line == null && !lines.isEmpty() && lines.peek() == EOF) {
        throw new IllegalStateException(
            name
                + " ended (exit "
                + exitCodeOrRunning()
                + ") before printing a matching line; see "
                + logFile);
      }
      if (line != null && matcher.test(line)) {
        return line;
      }
    }
  }

  private String exitCodeOrRunning() {
    try {
      process.waitFor(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.isAlive() ? "still running" : Integer.toString(process.exitValue());
  }

  /** Sends SIGSTOP: the process freezes, its sockets stay open (a long GC pause, a hung host). */
  public void pause() {
    signal("STOP");
  }

  /** Sends SIGCONT to a {@link #pause paused} process. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sends SIGTERM, as a service manager or Kubernetes stops a process: the child's JVM runs its
   * shutdown hooks (where a job closes its app) and exits. Returns at once; {@link #waitFor} waits
   * for the exit. (Not {@link Process#destroy}: it also closes this side of the child's output,
   * which would lose what the child prints while it stops.)
   */
  public void terminate() {
    signal("TERM");
  }

  /** Sends SIGKILL and waits until the process is gone. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + " (pid " + pid() + ") survived SIGKILL for 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The crash tests' loop: {@code kills} times, starts a job, waits for its line starting with
   * {@code RUNNING} (up to 90 s), lets it work for a random 200–3000 ms and SIGKILLs it.
   *
   * @return the number of jobs killed
   */
  public static int killAtRandomMoments(Supplier<ChildJvm> start, int kills, Random random)
      throws InterruptedException {
    int killed = 0;
    while (killed < kills) {
      try (ChildJvm job = start.get()) {
        job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
        Thread.sleep(200 + random.nextInt(2800));
        job.kill();
        killed++;
      }
    }
    return killed;
  }

  /** Waits for a normal exit; returns the exit code, or -1 if it is still running. */
  public int waitFor(Duration timeout) {
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Kills the child if it is still running. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  private void pump() {
    try (BufferedReader reader =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer log =
            Files.newBufferedWriter(
                logFile,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
      String line;
      while ((line = reader.readLine()) != null) {
        log.write(line);
        log.write('\n');
        log.flush();
        lines.add(line);
      }
    } catch (IOException e) {
      // the child died mid-line; what it printed so far is in the queue and the log
    } finally {
      lines.add(EOF);
    }
  }

  /** Options for a child JVM. */
  public static final class Builder {
    private final String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmArgs = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();
    private String classpath = System.getProperty("java.class.path");
    private Path logDir = Path.of("target", "child-jvm");
    private String name;

    private Builder(String mainClass) {
      this.mainClass = mainClass;
      this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
    }

    public Builder args(String... values) {
      args.addAll(List.of(values));
      return this;
    }

    public Builder args(List<String> values) {
      args.addAll(values);
      return this;
    }

    public Builder jvmArgs(String... values) {
      jvmArgs.addAll(List.of(values));
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder classpath(String value) {
      this.classpath = Objects.requireNonNull(value, "classpath must not be null");
      return this;
    }

    public Builder logDir(Path value) {
      this.logDir = Objects.requireNonNull(value, "logDir must not be null");
      return this;
    }

    public Builder name(String value) {
      this.name = Objects.requireNonNull(value, "name must not be null");
      return this;
    }

    public ChildJvm start() {
      try {
        Files.createDirectories(logDir);
        Path log =
            logDir.resolve(
                name + "-" + System.currentTimeMillis() + "-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (jvmArgs.stream().noneMatch(arg -> arg.startsWith("-Djava.io.tmpdir="))) {
          // RocksDB and the Pulsar client unpack their native libraries into java.io.tmpdir and
          // delete them at exit; a child killed with SIGKILL never exits, so each kill left ~15 MB
          // in /tmp for good (thousands of crash-test kills filled the disk). Kept under target/.
          Path tmp = Files.createDirectories(logDir.resolve("tmp").toAbsolutePath());
          command.add("-Djava.io.tmpdir=" + tmp);
        }
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(Classpaths.testkitLocation() + File.pathSeparator + classpath);
        command.add(ParentWatchdogMain.class.getName());
        command.add(Long.toString(ProcessHandle.current().pid()));
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder builder =
            new ProcessBuilder(command)
                .redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(env);
        ChildJvm child = new ChildJvm(name, builder.start(), log);
        Thread pump = new Thread(child::pump, "sluice-testkit-child-" + name + "-stdout");
        pump.setDaemon(true);
        pump.start();
        return child;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start child JVM " + mainClass, e);
      }
    }
  }
}
