package io.sluice.testkit;

import io.sluice.testkit.internal.Classpaths;
import io.sluice.testkit.internal.FreePorts;
import io.sluice.testkit.internal.ManagedProcess;
import io.sluice.testkit.internal.ParentWatchdogMain;
import io.sluice.testkit.internal.Waits;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A real Pulsar standalone broker (4.0.7) running in a child JVM built from the Maven-resolved
 * {@code pulsar-broker} jars.
 *
 * <pre>{@code
 * PulsarStandalone pulsar = PulsarStandalone.shared();   // one per test JVM, started once
 * PulsarClient client = PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build();
 * }</pre>
 *
 * <p>When the environment variables {@code SLUICE_PULSAR_URL} and {@code SLUICE_PULSAR_ADMIN_URL}
 * are set, {@link #shared()} uses that external cluster instead and starts nothing.
 *
 * <p>The child halts itself when the JVM that started it dies (see {@link ParentWatchdogMain}), so
 * a crashed or aborted test run leaves no broker behind. {@link #restart()} stops the broker
 * gracefully and starts it again on the same ports and data (again, if its bookie comes back unable
 * to register; see {@link #bookieRegistrationLoops}).
 */
public final class PulsarStandalone implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);

  /** How often {@link #restart} starts a broker whose bookie's registration loops. */
  private static final int RESTART_ATTEMPTS = 3;

  /** How long after a restart the log is looked at for that loop, and how many lines make one. */
  private static final long LOOP_CHECK_MILLIS = 2000;

  private static final int LOOP_LINES = 100;
  private static PulsarStandalone shared;

  private final Path dir;
  private final int brokerPort;
  private final int webPort;
  private final int bookiePort;
  private final boolean external;
  private final String serviceUrl;
  private final String adminUrl;
  private final boolean watchParent;
  private final Secured secured;
  private ManagedProcess process;

  /**
   * TLS and token authentication with authorization: the ports, the CA and the token key of a
   * broker from {@link #startSecured}.
   */
  private record Secured(
      int brokerTlsPort, int webTlsPort, TestPki pki, TestPki.Issued cert, TestTokens tokens) {}

  private PulsarStandalone(
      Path dir, int brokerPort, int webPort, int bookiePort, boolean watchParent) {
    this(dir, brokerPort, webPort, bookiePort, watchParent, null);
  }

  private PulsarStandalone(
      Path dir, int brokerPort, int webPort, int bookiePort, boolean watchParent, Secured secured) {
    this.secured = secured;
    this.dir = dir;
    this.brokerPort = brokerPort;
    this.webPort = webPort;
    this.bookiePort = bookiePort;
    this.external = false;
    this.serviceUrl = "pulsar://127.0.0.1:" + brokerPort;
    this.adminUrl = "http://127.0.0.1:" + webPort;
    this.watchParent = watchParent;
  }

  private PulsarStandalone(String serviceUrl, String adminUrl) {
    this.dir = null;
    this.brokerPort = -1;
    this.webPort = -1;
    this.bookiePort = -1;
    this.external = true;
    this.serviceUrl = serviceUrl;
    this.adminUrl = adminUrl;
    this.watchParent = false;
    this.secured = null;
  }

  /**
   * The broker shared by every test class of this JVM: started on first use, stopped when the JVM
   * exits. Honours {@code SLUICE_PULSAR_URL}/{@code SLUICE_PULSAR_ADMIN_URL}.
   */
  public static synchronized PulsarStandalone shared() {
    if (shared == null) {
      String url = System.getenv("SLUICE_PULSAR_URL");
      String admin = System.getenv("SLUICE_PULSAR_ADMIN_URL");
      if (url != null && !url.isBlank()) {
        if (admin == null || admin.isBlank()) {
          throw new IllegalStateException(
              "SLUICE_PULSAR_URL is set but SLUICE_PULSAR_ADMIN_URL is not: set both to use an"
                  + " external cluster, or neither to start a standalone broker");
        }
        shared = new PulsarStandalone(url, admin);
      } else {
        PulsarStandalone broker = start(defaultDir());
        Runtime.getRuntime()
            .addShutdownHook(new Thread(broker::close, "sluice-testkit-pulsar-shutdown"));
        shared = broker;
      }
    }
    return shared;
  }

  /** Starts a new standalone broker whose data and log live under {@code dir}. */
  public static PulsarStandalone start(Path dir) {
    return start(dir, true);
  }

  /**
   * Starts a broker; with {@code watchParent == false} it outlives this JVM (for the command-line
   * launcher).
   */
  public static PulsarStandalone start(Path dir, boolean watchParent) {
    Objects.requireNonNull(dir, "dir must not be null");
    PulsarStandalone broker =
        new PulsarStandalone(
            dir.toAbsolutePath(),
            FreePorts.next(),
            FreePorts.next(),
            FreePorts.next(),
            watchParent);
    broker.launch(true);
    return broker;
  }

  /**
   * Starts a broker with security on, as production clusters have it: TLS on its own ports ({@link
   * #tlsServiceUrl}, {@link #tlsAdminUrl}) with a certificate for 127.0.0.1 issued by a fresh test
   * CA ({@link #pki}), token authentication ({@link #tokens} signs tokens for any role) and
   * authorization, with the super-user role {@code admin} ({@link #superUserToken}). The plain
   * ports stay open for the broker's own clients; they need a token too.
   */
  public static PulsarStandalone startSecured(Path dir) {
    Objects.requireNonNull(dir, "dir must not be null");
    Path abs = dir.toAbsolutePath();
    TestPki pki = TestPki.create(abs.resolve("pki"));
    Secured secured =
        new Secured(
            FreePorts.next(),
            FreePorts.next(),
            pki,
            pki.issue("broker", "127.0.0.1"),
            TestTokens.random());
    PulsarStandalone broker =
        new PulsarStandalone(
            abs, FreePorts.next(), FreePorts.next(), FreePorts.next(), true, secured);
    broker.launch(true);
    return broker;
  }

  /** {@code pulsar+ssl://127.0.0.1:<port>} of a broker from {@link #startSecured}. */
  public String tlsServiceUrl() {
    return "pulsar+ssl://127.0.0.1:" + requireSecured().brokerTlsPort();
  }

  /** {@code https://127.0.0.1:<port>} of a broker from {@link #startSecured}. */
  public String tlsAdminUrl() {
    return "https://127.0.0.1:" + requireSecured().webTlsPort();
  }

  /** The CA that issued the broker's certificate. */
  public TestPki pki() {
    return requireSecured().pki();
  }

  /** Signs tokens the broker accepts. */
  public TestTokens tokens() {
    return requireSecured().tokens();
  }

  /** A token of the super-user role {@code admin}. */
  public String superUserToken() {
    return tokens().token("admin");
  }

  private Secured requireSecured() {
    if (secured == null) {
      throw new UnsupportedOperationException(
          "only a broker from PulsarStandalone.startSecured has TLS and tokens");
    }
    return secured;
  }

  private static Path defaultDir() {
    String base = System.getProperty("sluice.testkit.dir", "target");
    return Path.of(base, "pulsar-standalone-" + ProcessHandle.current().pid());
  }

  public String serviceUrl() {
    return serviceUrl;
  }

  public String adminUrl() {
    return adminUrl;
  }

  public boolean isExternal() {
    return external;
  }

  /** The broker's process id, or -1 for an external cluster. */
  public long pid() {
    return process == null ? -1 : process.pid();
  }

  public Path logFile() {
    return dir == null ? null : dir.resolve("logs/pulsar-standalone.log");
  }

  /**
   * Stops the broker gracefully (if it is running; see {@link #crash}) and starts it on the same
   * ports and data.
   */
  public synchronized void restart() {
    requireEmbedded("restart()");
    stopProcess();
    for (int attempt = 1; ; attempt++) {
      long logStart = logSize();
      launch(false);
      if (!bookieRegistrationLoops(logStart)) {
        return;
      }
      if (attempt == RESTART_ATTEMPTS) {
        throw new IllegalStateException(
            "Pulsar standalone in "
                + dir
                + " came back "
                + attempt
                + " times with its bookie's registration in a loop (apache/pulsar#17759: the log"
                + " fills with \"Lock on resource /ledgers/available/... was invalidated\" and"
                + " writes fail); see "
                + logFile());
      }
      System.err.println(
          "Pulsar standalone in "
              + dir
              + ": the bookie's registration loops after the restart (apache/pulsar#17759);"
              + " killing it and starting it again");
      crash();
    }
  }

  /**
   * Whether the bookie's registration of a broker that came back on old data loops: seen after a
   * SIGKILL, its lock on {@code /ledgers/available/<bookie>} is invalidated and taken again
   * hundreds of times a second, and the bookie then fails writes. A healthy start logs a few such
   * lines at most.
   */
  private boolean bookieRegistrationLoops(long logStart) {
    try {
      Thread.sleep(LOOP_CHECK_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return countSince(logStart, "was invalidated") > LOOP_LINES;
  }

  private long logSize() {
    try {
      return Files.exists(logFile()) ? Files.size(logFile()) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Lines holding {@code text} in the broker's log after its first {@code from} bytes. */
  private long countSince(long from, String text) {
    try (java.io.RandomAccessFile log = new RandomAccessFile(logFile().toFile(), "r")) {
      log.seek(Math.min(from, log.length()));
      byte[] rest = new byte[(int) Math.min(log.length() - log.getFilePointer(), 64L << 20)];
      log.readFully(rest);
      return new String(rest, StandardCharsets.UTF_8).lines().filter(l -> l.contains(text)).count();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Kills the broker with SIGKILL, as a machine or process crash would: nothing is flushed or
   * closed. {@link #restart} starts it again on the same ports and data.
   */
  public synchronized void crash() {
    requireEmbedded("crash()");
    if (process != null) {
      process.kill();
      process = null;
    }
  }

  private void requireEmbedded(String what) {
    if (external) {
      throw new UnsupportedOperationException(
          what
              + " needs a broker started by the test kit; this one is external ("
              + serviceUrl
              + ")");
    }
  }

  private void launch(boolean wipeData) {
    try {
      Files.createDirectories(dir.resolve("logs"));
      Path conf = writeConfig();
      Path log4j = writeLog4j();
      // Native libraries (RocksDB, checksums) are unpacked here rather than in /tmp: a broker
      // that is killed instead of stopped would leave them behind there for good.
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new ArrayList<>();
      command.add(javaBin);
      command.addAll(
          List.of(
              "-Xms256m",
              "-Xmx1g",
              "-XX:MaxDirectMemorySize=1g",
              "-XX:+UseG1GC",
              "-Djava.io.tmpdir=" + tmp,
              "-Dlog4j.configurationFile=" + log4j.toUri(),
              "-Dpulsar.log.dir=" + dir.resolve("logs"),
              "--add-opens",
              "java.base/java.io=ALL-UNNAMED",
              "--add-opens",
              "java.base/java.util.zip=ALL-UNNAMED",
              "--add-opens",
              "java.base/sun.nio.ch=ALL-UNNAMED",
              "--add-opens",
              "java.base/jdk.internal.misc=ALL-UNNAMED",
              "--add-opens",
              "java.management/sun.management=ALL-UNNAMED",
              "--add-opens",
              "jdk.management/com.sun.management.internal=ALL-UNNAMED",
              "-cp",
              Classpaths.testkitLocation() + File.pathSeparator + Classpaths.pulsarBroker(),
              ParentWatchdogMain.class.getName(),
              watchParent ? Long.toString(ProcessHandle.current().pid()) : "0",
              "org.apache.pulsar.PulsarStandaloneStarter",
              "--config",
              conf.toString(),
              "--metadata-dir",
              dir.resolve("metadata").toString(),
              "--bookkeeper-dir",
              dir.resolve("bk").toString(),
              "--bookkeeper-port",
              Integer.toString(bookiePort),
              "--no-functions-worker",
              "--no-stream-storage"));
      if (wipeData) {
        command.add("--wipe-data");
      }
      Path stdout = dir.resolve("logs/stdout.log");
      process = ManagedProcess.start("pulsar-standalone", command, stdout);
      Waits.until("Pulsar standalone at " + adminUrl, READY_TIMEOUT, process, this::isReady);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Pulsar standalone in " + dir, e);
    }
  }

  private boolean isReady() {
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(adminUrl + "/admin/v2/namespaces/public"))
              .timeout(Duration.ofSeconds(5));
      if (secured != null) {
        request.header("Authorization", "Bearer " + superUserToken());
      }
      HttpResponse<String> response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("public/default");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Path writeConfig() throws IOException {
    String conf =
        String.join(
            "\n",
            "clusterName=standalone",
            "bindAddress=127.0.0.1",
            "advertisedAddress=127.0.0.1",
            "brokerServicePort=" + brokerPort,
            "webServicePort=" + webPort,
            "managedLedgerDefaultEnsembleSize=1",
            "managedLedgerDefaultWriteQuorum=1",
            "managedLedgerDefaultAckQuorum=1",
            "functionsWorkerEnabled=false",
            "transactionCoordinatorEnabled=true",
            "systemTopicEnabled=true",
            "topicLevelPoliciesEnabled=true",
            "allowAutoTopicCreation=true",
            "allowAutoTopicCreationType=non-partitioned",
            "loadBalancerEnabled=false",
            "brokerDeleteInactiveTopicsEnabled=false",
            // rates (msgThroughputIn) every 2 s instead of 60 s, for automatic slot groups in tests
            "statsUpdateInitialDelayInSecs=2",
            "statsUpdateFrequencyInSecs=2",
            // The standalone's bookie reads this file too. By default it turns read-only once its
            // disk is 95 % full, counting the whole file system; on the shared disks here that
            // can mean 10+ GB still free, and a read-only bookie fails every write ("Not enough
            // non-faulty bookies"). Only a truly full disk stops it now.
            "diskUsageThreshold=0.999",
            "diskUsageWarnThreshold=0.998",
            "diskUsageLwmThreshold=0.998",
            "");
    // Extra broker settings for a probe, e.g. -Dsluice.testkit.pulsar.extraConf=
    // keepAliveIntervalSeconds=5,activeConsumerFailoverDelayTimeInMs=0 (later lines win).
    String extra = System.getProperty("sluice.testkit.pulsar.extraConf", "").trim();
    if (!extra.isEmpty()) {
      conf += String.join("\n", extra.split(",")) + "\n";
    }
    if (secured != null) {
      conf += securityConfig();
    }
    Path file = dir.resolve("standalone.conf");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    return file;
  }

  private String securityConfig() {
    TestPki.Issued cert = secured.cert();
    return String.join(
        "\n",
        "brokerServicePortTls=" + secured.brokerTlsPort(),
        "webServicePortTls=" + secured.webTlsPort(),
        "tlsEnabledWithKeyStore=true",
        "tlsKeyStoreType=PKCS12",
        "tlsKeyStore=" + cert.keyStore(),
        "tlsKeyStorePassword=" + secured.pki().password(),
        "tlsTrustStoreType=PKCS12",
        "tlsTrustStore=" + secured.pki().trustStore(),
        "tlsTrustStorePassword=" + secured.pki().password(),
        "authenticationEnabled=true",
        "authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken,"
            + "org.apache.pulsar.broker.authentication.AuthenticationProviderTls",
        "tokenSecretKey=" + secured.tokens().brokerSecretKeySetting(),
        "authorizationEnabled=true",
        "superUserRoles=admin",
        "brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken",
        "brokerClientAuthenticationParameters=token:" + superUserToken(),
        "");
  }

  private Path writeLog4j() throws IOException {
    String xml =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Configuration status="warn">
          <Appenders>
            <File name="file" fileName="%s">
              <PatternLayout pattern="%%d{HH:mm:ss.SSS} %%-5level [%%t] %%c{1} - %%msg%%n"/>
            </File>
          </Appenders>
          <Loggers>
            <Root level="info"><AppenderRef ref="file"/></Root>
          </Loggers>
        </Configuration>
        """
            .formatted(logFile());
    Path file = dir.resolve("log4j2.xml");
    Files.writeString(file, xml, StandardCharsets.UTF_8);
    return file;
  }

  private void stopProcess() {
    if (process != null) {
      process.stop(Duration.ofSeconds(30));
      process = null;
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 30 s). Does nothing for an external cluster. */
  @Override
  public synchronized void close() {
    stopProcess();
  }

  @Override
  public String toString() {
    return "PulsarStandalone{" + serviceUrl + ", admin " + adminUrl + "}";
  }
}
