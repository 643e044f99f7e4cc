package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.Sluice;
import io.sluice.config.PulsarSecurity;
import io.sluice.errors.ConfigException;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSchemaDecoder;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.PulsarStandalone;
import io.sluice.testkit.TestOAuth2Issuer;
import io.sluice.testkit.TestPki;
import io.sluice.testkit.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.common.policies.data.AuthAction;
import org.apache.pulsar.common.policies.data.TenantInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster with security on: the broker (started by the test kit) has TLS with a certificate from
 * a CA the test made, token authentication and authorization. The app connects over TLS only, as a
 * role granted exactly what README "Secured clusters" lists, and nothing more.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SecuredClusterIT {
  static final String ROLE = "sluice-app";
  static final String NAMESPACE = "public/default";
  static final String TC_ASSIGN = "persistent://pulsar/system/transaction_coordinator_assign";
  static final int MESSAGES = 20_000;
  static final int KEYS = 200;

  static PulsarStandalone broker;
  static PulsarAdmin superAdmin;
  static PulsarClient superClient;
  static Path tokenFile;

  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker(@TempDir Path dir) throws Exception {
    broker = PulsarStandalone.startSecured(dir.resolve("broker"));
    superAdmin =
        PulsarAdmin.builder()
            .serviceHttpUrl(broker.tlsAdminUrl())
            .tlsTrustCertsFilePath(broker.pki().caPem().toString())
            .authentication(AuthenticationFactory.token(broker.superUserToken()))
            .build();
    superClient =
        PulsarClient.builder()
            .serviceUrl(broker.tlsServiceUrl())
            .tlsTrustCertsFilePath(broker.pki().caPem().toString())
            .authentication(AuthenticationFactory.token(broker.superUserToken()))
            .build();
    // the permissions README "Secured clusters" lists, and no more
    superAdmin
        .namespaces()
        .grantPermissionOnNamespace(
            NAMESPACE, ROLE, Set.of(AuthAction.consume, AuthAction.produce));
    // the transactional sink's client looks up the transaction coordinators through this topic
    superAdmin.topics().grantPermission(TC_ASSIGN, ROLE, Set.of(AuthAction.consume));
    // the sink needs the broker to deduplicate its topic; a role without tenant admin rights
    // cannot turn that on itself
    superAdmin.namespaces().setDeduplicationStatus(NAMESPACE, true);
    tokenFile = dir.resolve("app.token");
    Files.writeString(tokenFile, broker.tokens().token(ROLE));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (superClient != null) {
      superClient.close();
    }
    if (superAdmin != null) {
      superAdmin.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  private static PulsarSecurity appSecurity(String token) {
    return PulsarSecurity.builder().token(token).trustCertificates(broker.pki().caPem()).build();
  }

  private Sluice app(String name, PulsarSecurity security, String input, String output) {
    return app(name, security, input, output, false);
  }

  private Sluice app(
      String name, PulsarSecurity security, String input, String output, boolean replicated) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker.tlsServiceUrl(), broker.tlsAdminUrl())
            .pulsarSecurity(security)
            .stateDir(stateDir.resolve(name))
            .discoveryInterval(Duration.ZERO)
            .replicated(replicated)
            .build();
    app.stream(PulsarSource.topics(input))
        .map(r -> r.value())
        .sinkTo(PulsarSink.<byte[]>builder().topic(output).serializer(v -> v).build());
    return app;
  }

  @Test
  void shouldFailTheStartSayingTheTokenWasRefused() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-wrong-token-in");
    superAdmin.topics().createNonPartitionedTopic(input);
    String forged = TestTokens.random().token(ROLE); // signed with a key the broker does not know
    Sluice app = app("wrong-token", appSecurity(forged), input, input + "-out");

    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream err = System.err;
    System.setErr(new PrintStream(captured, true));
    Throwable refused;
    try {
      refused = catchThrowable(app::start);
    } finally {
      System.setErr(err);
    }
    System.out.println("wrong token: " + refused);
    StringWriter trace = new StringWriter();
    refused.printStackTrace(new PrintWriter(trace));
    assertThat(captured.toString(StandardCharsets.UTF_8) + trace + appSecurity(forged))
        .as("the log, the failure with its causes and the security settings")
        .doesNotContain(forged)
        .doesNotContain(forged.substring(forged.lastIndexOf('.') + 1)); // nor its signature
    assertThat(refused)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("authentication failed for role '" + ROLE + "'")
        .hasMessageContaining("check the token")
        .message()
        .doesNotContain(forged);
    assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
  }

  @Test
  void shouldFailTheStartNamingTheRoleThatLacksAPermission() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-no-grant-in");
    superAdmin.topics().createNonPartitionedTopic(input);
    Sluice app =
        app("no-grant", appSecurity(broker.tokens().token("stranger")), input, input + "-out");

    Throwable refused = catchThrowable(app::start);
    System.out.println("no grant: " + refused);
    assertThat(refused)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "role 'stranger' (token subject) lacks 'consume' on"
                + " persistent://pulsar/system/transaction_coordinator_assign");
  }

  @Test
  void shouldNameTheNamespaceARoleLacksPermissionsOn() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-no-namespace-in");
    superAdmin.topics().createNonPartitionedTopic(input);
    superAdmin
        .topics()
        .grantPermission(TC_ASSIGN, "outsider", Set.of(AuthAction.consume)); // but no namespace
    Sluice app =
        app("no-namespace", appSecurity(broker.tokens().token("outsider")), input, input + "-out");

    Throwable refused = catchThrowable(app::start);
    System.out.println("no namespace grant: " + refused);
    assertThat(refused)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "role 'outsider' (token subject) lacks 'consume' and 'produce' on namespace "
                + NAMESPACE);
  }

  /** The TLS client certificate shortcut: the broker takes the role from the certificate. */
  @Test
  void shouldReadAndWriteAuthenticatedByATlsClientCertificate() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-mtls-in");
    String output = PulsarFixture.uniqueTopic("secured-mtls-out");
    superAdmin.topics().createNonPartitionedTopic(input);
    superAdmin.topics().createNonPartitionedTopic(output);
    TestPki.Issued cert = broker.pki().issue("app-client", ROLE); // common name = role
    PulsarSecurity security =
        PulsarSecurity.builder()
            .tlsClientCertificate(cert.certificatePem(), cert.privateKeyPem())
            .trustCertificates(broker.pki().caPem())
            .build();
    PulsarFixture.produce(superClient, input, 0, 100, i -> "k" + i, i -> "m-" + i, null, 0);

    copiesOneHundredRecords(app("mtls", security, input, output), output);
  }

  /** Runs {@code app} until its output holds the 100 records, then checks them. */
  private static void copiesOneHundredRecords(Sluice copying, String output) throws Exception {
    try (Sluice app = copying) {
      app.start();
      Await.until(
          "100 records in " + output,
          Duration.ofSeconds(60),
          () -> {
            try {
              return PulsarFixture.readAll(superAdmin, superClient, output).size() >= 100;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
    assertThat(PulsarFixture.readAll(superAdmin, superClient, output))
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(0, 100).mapToObj(i -> "m-" + i).toList());
  }

  /** A record of the schema test; its JSON schema is in the registry. */
  public record Event(long id, String user) {}

  /**
   * What README "Secured clusters" lists suffices for the schema registry's decoder (it reads each
   * topic's schema) and automatic slot groups (they read the topics' stats): both run as the
   * least-privileged role.
   */
  @Test
  void shouldDecodeByTheRegistrysSchemaAndPlanSlotGroupsAsALeastPrivilegedRole() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-schema-in");
    String output = PulsarFixture.uniqueTopic("secured-schema-out");
    superAdmin.topics().createPartitionedTopic(input, 2);
    superAdmin.topics().createNonPartitionedTopic(output);
    try (org.apache.pulsar.client.api.Producer<Event> p =
        superClient
            .newProducer(org.apache.pulsar.client.api.Schema.JSON(Event.class))
            .topic(input)
            .create()) {
      for (int i = 0; i < 100; i++) {
        p.send(new Event(i, "u" + i));
      }
    }
    Sluice app =
        Sluice.builder()
            .name("schema-auto")
            .pulsar(broker.tlsServiceUrl(), broker.tlsAdminUrl())
            .pulsarSecurity(appSecurity(broker.tokens().token(ROLE)))
            .stateDir(stateDir.resolve("schema-auto"))
            .discoveryInterval(Duration.ZERO)
            .autoSlotGroups(1_000_000, 1)
            .build();
    app.stream(PulsarSource.topics(input), PulsarSchemaDecoder.bind(Event.class))
        .map(e -> ("m-" + e.id()).getBytes(StandardCharsets.UTF_8))
        .sinkTo(PulsarSink.<byte[]>builder().topic(output).serializer(v -> v).build());
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream err = System.err;
    System.setErr(new PrintStream(captured, true));
    try {
      copiesOneHundredRecords(app, output);
    } finally {
      System.setErr(err);
    }
    // a stats read the role may not make is logged, and the topic planned as cold
    assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("no byte rate for");
  }

  /**
   * OAuth2 client credentials: the app's clients get their access token from an authorization
   * server (the test kit's, on loopback) with the client id and secret of a credentials file, and
   * the broker accepts the token as the role's. A wrong secret fails the start saying how to fix
   * it.
   */
  @Test
  void shouldReadAndWriteWithAnOAuth2AccessToken() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-oauth2-in");
    String output = PulsarFixture.uniqueTopic("secured-oauth2-out");
    superAdmin.topics().createNonPartitionedTopic(input);
    superAdmin.topics().createNonPartitionedTopic(output);
    PulsarFixture.produce(superClient, input, 0, 100, i -> "k" + i, i -> "m-" + i, null, 0);
    try (TestOAuth2Issuer issuer =
        TestOAuth2Issuer.start("sluice-app-client", "s3cret", () -> broker.tokens().token(ROLE))) {
      PulsarSecurity security =
          PulsarSecurity.builder()
              .oauth2ClientCredentials(
                  issuer.issuerUrl(),
                  issuer.credentialsFile(stateDir, "s3cret"),
                  "urn:pulsar:sluice-test")
              .trustCertificates(broker.pki().caPem())
              .build();
      copiesOneHundredRecords(app("oauth2", security, input, output), output);
      assertThat(issuer.grants()).as("access tokens granted").isPositive();

      PulsarSecurity wrong =
          PulsarSecurity.builder()
              .oauth2ClientCredentials(
                  issuer.issuerUrl(),
                  issuer.credentialsFile(stateDir, "not-the-secret"),
                  "urn:pulsar:sluice-test")
              .trustCertificates(broker.pki().caPem())
              .build();
      Sluice refused = app("oauth2-wrong", wrong, input, output);
      Throwable failure = catchThrowable(refused::start);
      refused.close();
      assertThat(issuer.refusals()).as("token requests refused").isPositive();
      StringWriter trace = new StringWriter();
      failure.printStackTrace(new PrintWriter(trace));
      assertThat(trace.toString()).doesNotContain("not-the-secret").doesNotContain("s3cret");
      assertThat(failure)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("check the OAuth2 issuer, credentials file and audience");
    }
  }

  /**
   * The crash test of {@link CrashRecoveryIT}, shorter, against the secured broker: the job, as the
   * least-privileged role, with the transactional Pulsar sink, is SIGKILLed while input arrives;
   * every input is in the output exactly once and each key's counts run 1..n.
   */
  @Test
  void shouldDeliverExactlyOnceAcrossSigkillsAsALeastPrivilegedRole() throws Exception {
    String input = PulsarFixture.uniqueTopic("secured-crash-in");
    String output = PulsarFixture.uniqueTopic("secured-crash-out");
    superAdmin.topics().createPartitionedTopic(input, 4);
    superAdmin.topics().createNonPartitionedTopic(output);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    System.out.println("secured crash test seed " + seed);

    CompletableFuture<Void> producing =
        CompletableFuture.runAsync(
            () -> {
              try {
                PulsarFixture.produce(
                    superClient,
                    input,
                    0,
                    MESSAGES,
                    j -> "k" + (j % KEYS),
                    j -> "m-" + j,
                    null,
                    8_000);
              } catch (Exception e) {
                throw new IllegalStateException("producing input failed", e);
              }
            });
    int kills = ChildJvm.killAtRandomMoments(() -> startJob(input, output), 3, new Random(seed));
    producing.get(2, TimeUnit.MINUTES);

    try (ChildJvm job = startJob(input, output)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      PulsarFixture.awaitNoBacklog(superAdmin, input, "crash-job", Duration.ofMinutes(2));
      job.kill();
    }

    List<String> out = PulsarFixture.readAll(superAdmin, superClient, output);
    Map<Integer, Integer> perId = new HashMap<>();
    Map<String, TreeSet<Long>> countsPerKey = new HashMap<>();
    for (String line : out) {
      String[] f = line.split(",");
      perId.merge(Integer.parseInt(f[0].substring(2)), 1, Integer::sum);
      countsPerKey.computeIfAbsent(f[1], k -> new TreeSet<>()).add(Long.parseLong(f[2]));
    }
    int duplicates = perId.values().stream().mapToInt(n -> n - 1).sum();
    System.out.printf(
        "RESULT secured crash sink=pulsar inputs=%d outputs=%d duplicates=%d lost=%d kills=%d%n",
        MESSAGES, out.size(), duplicates, MESSAGES - perId.size(), kills);
    assertThat(duplicates).as("duplicates (seed %d)", seed).isZero();
    assertThat(perId).as("distinct inputs in the output (seed %d)", seed).hasSize(MESSAGES);
    assertThat(countsPerKey).hasSize(KEYS);
    for (Map.Entry<String, TreeSet<Long>> e : countsPerKey.entrySet()) {
      assertThat(e.getValue().first()).as("first count of %s", e.getKey()).isEqualTo(1L);
      assertThat(e.getValue().last())
          .as("last count of %s", e.getKey())
          .isEqualTo((long) e.getValue().size());
    }
  }

  /**
   * A replicated app creates its lease, changelog and changelog-journal topics through the admin
   * API, which a role with only produce and consume may not do: the start fails naming that right
   * (tenant admin) and the topic, not the produce and consume the role has.
   */
  @Test
  void shouldNameTheTopicCreationAReplicatedAppNeeds() throws Exception {
    String name = "secured-replicated-" + Long.toHexString(System.nanoTime());
    Sluice app = replicatedApp(name, appSecurity(Files.readString(tokenFile).trim()));
    Throwable refused = catchThrowable(app::start);
    app.close();
    assertThat(refused)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("role 'sluice-app' (token subject) lacks the right to create topics")
        .hasMessageContaining("pulsar-admin tenants update public --admin-roles <role>")
        .hasMessageContaining("__sluice-lease-" + name)
        .hasMessageNotContaining("lacks 'consume'");
  }

  /**
   * An app with {@code stateChangelog(true)} alone creates its changelog topics and sets their
   * compaction, which Pulsar lets a tenant admin do only: as the least-privileged role its start
   * fails naming that right and a topic; as a tenant admin it runs (below).
   */
  @Test
  void shouldNameTheRightAChangelogAppNeedsAndRunAsATenantAdmin() throws Exception {
    String name = "secured-changelog-" + Long.toHexString(System.nanoTime());
    superAdmin.topics().createPartitionedTopic(name + "-in", 2);
    superAdmin.topics().createNonPartitionedTopic(name + "-out");
    Sluice app = changelogApp(name, appSecurity(Files.readString(tokenFile).trim()));
    Throwable refused = catchThrowable(app::start);
    app.close();
    assertThat(refused)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("role 'sluice-app' (token subject) lacks the right")
        .hasMessageContaining("pulsar-admin tenants update public --admin-roles <role>")
        .hasMessageContaining("__sluice-");

    String role = "changelog-admin-app";
    TenantInfo tenant = superAdmin.tenants().getTenantInfo("public");
    Set<String> admins = new HashSet<>(tenant.getAdminRoles());
    admins.add(role);
    superAdmin
        .tenants()
        .updateTenant(
            "public",
            TenantInfo.builder()
                .adminRoles(admins)
                .allowedClusters(tenant.getAllowedClusters())
                .build());
    superAdmin.topics().grantPermission(TC_ASSIGN, role, Set.of(AuthAction.consume));
    String admin = name + "-admin";
    superAdmin.topics().createPartitionedTopic(admin + "-in", 2);
    superAdmin.topics().createNonPartitionedTopic(admin + "-out");
    try (Sluice running = changelogApp(admin, appSecurity(broker.tokens().token(role)))) {
      running.start();
      PulsarFixture.produce(
          superClient, admin + "-in", 0, 200, j -> "k" + j, j -> "m-" + j, null, 0);
      Await.until(
          "the changelog app delivered its input",
          Duration.ofMinutes(2),
          () -> visible(admin + "-out") >= 200);
      assertThat(running.state()).isEqualTo(Sluice.State.RUNNING);
    }
    assertThat(PulsarFixture.readAll(superAdmin, superClient, admin + "-out")).hasSize(200);
  }

  /** An app {@code name} with a state changelog copying {@code <name>-in} to {@code <name>-out}. */
  private Sluice changelogApp(String name, PulsarSecurity security) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker.tlsServiceUrl(), broker.tlsAdminUrl())
            .pulsarSecurity(security)
            .stateDir(stateDir.resolve(name))
            .discoveryInterval(Duration.ZERO)
            .stateChangelog(true)
            .build();
    app.stream(PulsarSource.topics(name + "-in"))
        .map(r -> r.value())
        .sinkTo(PulsarSink.<byte[]>builder().topic(name + "-out").serializer(v -> v).build());
    return app;
  }

  /**
   * The same replicated app as a role that is, besides the grants above, an admin of the tenant: it
   * creates its topics, takes its lease and delivers its input.
   */
  @Test
  void shouldRunAReplicatedAppAsATenantAdmin() throws Exception {
    String role = "tenant-admin-app";
    TenantInfo tenant = superAdmin.tenants().getTenantInfo("public");
    Set<String> admins = new HashSet<>(tenant.getAdminRoles());
    admins.add(role);
    superAdmin
        .tenants()
        .updateTenant(
            "public",
            TenantInfo.builder()
                .adminRoles(admins)
                .allowedClusters(tenant.getAllowedClusters())
                .build());
    superAdmin.topics().grantPermission(TC_ASSIGN, role, Set.of(AuthAction.consume));
    String name = "secured-replicated-admin-" + Long.toHexString(System.nanoTime());
    try (Sluice app = replicatedApp(name, appSecurity(broker.tokens().token(role)))) {
      app.start();
      PulsarFixture.produce(
          superClient, name + "-in", 0, 200, j -> "k" + j, j -> "m-" + j, null, 0);
      Await.until(
          "the replicated app delivered its input",
          Duration.ofMinutes(2),
          () -> visible(name + "-out") >= 200);
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
    }
    assertThat(PulsarFixture.readAll(superAdmin, superClient, name + "-out")).hasSize(200);
  }

  /**
   * A replicated app {@code name} copying {@code <name>-in} (2 partitions) to {@code <name>-out}
   * through the Pulsar sink; the super user creates both topics.
   */
  private Sluice replicatedApp(String name, PulsarSecurity security) throws Exception {
    superAdmin.topics().createPartitionedTopic(name + "-in", 2);
    superAdmin.topics().createNonPartitionedTopic(name + "-out");
    return app(name, security, name + "-in", name + "-out", true);
  }

  /** How many messages a reader of {@code topic} sees now (-1 while it cannot read). */
  private static int visible(String topic) {
    try {
      return PulsarFixture.readAll(superAdmin, superClient, topic).size();
    } catch (Exception e) {
      return -1;
    }
  }

  private ChildJvm startJob(String input, String output) {
    return ChildJvm.builder(CrashJob.class)
        .jvmArgs(
            "-Xmx512m",
            "-Dcrashjob.tokenFile=" + tokenFile,
            "-Dcrashjob.trustCertificates=" + broker.pki().caPem())
        .args(
            broker.tlsServiceUrl(),
            broker.tlsAdminUrl(),
            input,
            output,
            stateDir.resolve("crash").toString(),
            "300")
        .start();
  }
}
