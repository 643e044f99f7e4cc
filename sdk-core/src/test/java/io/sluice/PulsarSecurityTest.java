package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.PulsarSecurity;
import io.sluice.errors.ConfigException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminBuilder;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PulsarSecurityTest {
  /** An unsigned token whose subject is {@code role}: enough for what the settings read of it. */
  static String tokenFor(String role) {
    Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
    return url.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8))
        + "."
        + url.encodeToString(("{\"sub\":\"" + role + "\"}").getBytes(StandardCharsets.UTF_8))
        + ".c2lnbmF0dXJlLXNlY3JldA";
  }

  @Test
  void shouldNameTheTokensRoleButNeverShowTheToken() {
    String token = tokenFor("orders-etl");
    PulsarSecurity security = PulsarSecurity.builder().token(token).build();

    assertThat(security.describeRole()).isEqualTo("role 'orders-etl' (token subject)");
    assertThat(security.toString())
        .isEqualTo("PulsarSecurity{auth=token, hostnameVerification=true}")
        .doesNotContain(token);
    assertThat(security.credentialHint()).contains("check the token").doesNotContain(token);
  }

  @Test
  void shouldNameTheTokenFileAndReadTheTokenFromIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.token");
    Files.writeString(file, tokenFor("reader") + "\n");
    PulsarSecurity security = PulsarSecurity.builder().tokenFile(file).build();

    assertThat(security.describeRole()).isEqualTo("role 'reader' (token subject)");
    assertThat(security.toString()).contains("token(file " + file + ")");
    assertThat(security.credentialHint()).contains(file.toString());
  }

  @Test
  void shouldShowTheTrustStoreButNotItsPassword(@TempDir Path dir) throws Exception {
    Path store = Files.createFile(dir.resolve("trust.p12"));
    PulsarSecurity security =
        PulsarSecurity.builder()
            .trustStore(store, "PKCS12", "store-secret-1")
            .hostnameVerification(false)
            .build();

    assertThat(security.toString())
        .contains("trustStore=" + store + " (PKCS12)")
        .contains("hostnameVerification=false")
        .doesNotContain("store-secret-1");
  }

  @Test
  void shouldAcceptOneAuthenticationMethodAndOneTrustSource(@TempDir Path dir) throws Exception {
    Path pem = Files.createFile(dir.resolve("ca.pem"));
    PulsarSecurity.Builder builder =
        PulsarSecurity.builder().token(tokenFor("a")).trustCertificates(pem);

    assertThatThrownBy(() -> builder.token(tokenFor("b")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("authentication was already set (TOKEN)");
    assertThatThrownBy(() -> builder.trustStore(pem, "PKCS12", "x"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Pulsar TLS trust was already set");
    assertThatThrownBy(() -> builder.token(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("token must not be null");
  }

  @Test
  void shouldRefuseFilesThatCannotBeRead(@TempDir Path dir) {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> PulsarSecurity.builder().trustCertificates(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid Pulsar trusted certificates file "
                + missing
                + ": it does not exist or is not readable");
    assertThatThrownBy(() -> PulsarSecurity.builder().tokenFile(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Invalid Pulsar token file " + missing);
  }

  @Test
  void shouldRunTheCustomizersAfterTheTypedSettings() throws Exception {
    AtomicInteger clients = new AtomicInteger();
    AtomicInteger admins = new AtomicInteger();
    PulsarSecurity security =
        PulsarSecurity.builder()
            .token(tokenFor("x"))
            .customizeClient(b -> clients.incrementAndGet())
            .customizeAdmin(b -> admins.incrementAndGet())
            .build();
    ClientBuilder client = PulsarClient.builder().serviceUrl("pulsar://127.0.0.1:1");
    PulsarAdminBuilder admin = PulsarAdmin.builder().serviceHttpUrl("http://127.0.0.1:1");

    security.applyTo(client);
    security.applyTo(admin);

    assertThat(clients).hasValue(1);
    assertThat(admins).hasValue(1);
    assertThat(security.toString()).contains("customized");
  }
}
