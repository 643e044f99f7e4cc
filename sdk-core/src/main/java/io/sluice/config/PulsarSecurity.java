package io.sluice.config;

import io.sluice.errors.ConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pulsar.client.admin.PulsarAdminBuilder;
import org.apache.pulsar.client.api.Authentication;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.impl.auth.oauth2.AuthenticationFactoryOAuth2;

/**
 * How Sluice authenticates to Pulsar and which TLS certificates it trusts, applied to every client
 * the app creates: the readers' client, the durable cursors, the admin client, the Pulsar sink's
 * client and its transaction journal.
 *
 * <pre>{@code
 * Sluice.builder()
 *     .pulsar("pulsar+ssl://pulsar.example.com", "https://pulsar.example.com:8443")
 *     .pulsarSecurity(PulsarSecurity.builder()
 *         .tokenFile(Path.of("/etc/orders-etl/pulsar.token"))
 *         .trustCertificates(Path.of("/etc/ssl/pulsar-ca.pem"))
 *         .build())
 * }</pre>
 *
 * <p>One authentication method at most (token, OAuth2 client credentials or a TLS client
 * certificate); trust is either a PEM file of CA certificates or a trust store; without either the
 * JVM's default trust applies. Hostname verification is on unless turned off. Anything else the
 * Pulsar clients offer goes through {@link Builder#customizeClient} and {@link
 * Builder#customizeAdmin}, which run after the typed settings.
 *
 * <p>Secrets (the token, the trust store password) are kept inside this object: {@link #toString()}
 * names the method and the files, never their content.
 */
public final class PulsarSecurity {
  private static final PulsarSecurity NONE = new Builder().build();
  private static final Pattern SUBJECT = Pattern.compile("\"sub\"\\s*:\\s*\"([^\"]*)\"");

  private final Method method;
  private final Supplier<String> token;
  private final Path tokenFile;
  private final URL oauthIssuer;
  private final URL oauthCredentials;
  private final String oauthAudience;
  private final Path clientCertificate;
  private final Path clientKey;
  private final Path trustCertificates;
  private final Path trustStore;
  private final String trustStoreType;
  private final String trustStorePassword;
  private final boolean hostnameVerification;
  private final List<Consumer<ClientBuilder>> clientCustomizers;
  private final List<Consumer<PulsarAdminBuilder>> adminCustomizers;

  /** The authentication method, for messages. */
  private enum Method {
    NONE,
    TOKEN,
    OAUTH2,
    TLS_CERTIFICATE
  }

  private PulsarSecurity(Builder b) {
    this.method = b.method;
    this.token = b.token;
    this.tokenFile = b.tokenFile;
    this.oauthIssuer = b.oauthIssuer;
    this.oauthCredentials = b.oauthCredentials;
    this.oauthAudience = b.oauthAudience;
    this.clientCertificate = b.clientCertificate;
    this.clientKey = b.clientKey;
    this.trustCertificates = b.trustCertificates;
    this.trustStore = b.trustStore;
    this.trustStoreType = b.trustStoreType;
    this.trustStorePassword = b.trustStorePassword;
    this.hostnameVerification = b.hostnameVerification;
    this.clientCustomizers = List.copyOf(b.clientCustomizers);
    this.adminCustomizers = List.copyOf(b.adminCustomizers);
  }

  /** No authentication, the JVM's default trust: what a cluster without security needs. */
  public static PulsarSecurity none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Sets authentication, trust and the customizations on a client builder. */
  public void applyTo(ClientBuilder builder) {
    Objects.requireNonNull(builder, "builder must not be null");
    Authentication auth = authentication();
    if (auth != null) {
      builder.authentication(auth);
    }
    if (trustCertificates != null) {
      builder.tlsTrustCertsFilePath(trustCertificates.toString());
    }
    if (trustStore != null) {
      builder
          .useKeyStoreTls(true)
          .tlsTrustStoreType(trustStoreType)
          .tlsTrustStorePath(trustStore.toString())
          .tlsTrustStorePassword(trustStorePassword);
    }
    builder.enableTlsHostnameVerification(hostnameVerification);
    clientCustomizers.forEach(c -> c.accept(builder));
  }

  /** Sets authentication, trust and the customizations on an admin client builder. */
  public void applyTo(PulsarAdminBuilder builder) {
    Objects.requireNonNull(builder, "builder must not be null");
    Authentication auth = authentication();
    if (auth != null) {
      builder.authentication(auth);
    }
    if (trustCertificates != null) {
      builder.tlsTrustCertsFilePath(trustCertificates.toString());
    }
    if (trustStore != null) {
      builder
          .useKeyStoreTls(true)
          .tlsTrustStoreType(trustStoreType)
          .tlsTrustStorePath(trustStore.toString())
          .tlsTrustStorePassword(trustStorePassword);
    }
    builder.enableTlsHostnameVerification(hostnameVerification);
    adminCustomizers.forEach(c -> c.accept(builder));
  }

  /** A fresh authentication object: each client owns (and closes) its own. */
  private Authentication authentication() {
    return switch (method) {
      case NONE -> null;
      case TOKEN -> AuthenticationFactory.token(token);
      case OAUTH2 ->
          AuthenticationFactoryOAuth2.clientCredentials(
              oauthIssuer, oauthCredentials, oauthAudience);
      case TLS_CERTIFICATE ->
          AuthenticationFactory.TLS(clientCertificate.toString(), clientKey.toString());
    };
  }

  /**
   * Who the broker sees, as far as the settings tell, for error messages: the token's subject (read
   * from the token, not verified), or the method.
   */
  public String describeRole() {
    return switch (method) {
      case NONE -> "the anonymous role (no authentication configured)";
      case TOKEN -> {
        String subject = tokenSubject();
        yield subject != null ? "role '" + subject + "' (token subject)" : "the token's role";
      }
      case OAUTH2 -> "the OAuth2 client of " + oauthCredentials;
      case TLS_CERTIFICATE -> "the role of the TLS client certificate " + clientCertificate;
    };
  }

  /** What to check when the broker refuses the credentials. */
  public String credentialHint() {
    return switch (method) {
      case NONE ->
          "the cluster requires authentication: set Sluice.builder().pulsarSecurity(...) with a"
              + " token, OAuth2 or a TLS client certificate";
      case TOKEN ->
          "check the token"
              + (tokenFile != null ? " in " + tokenFile : "")
              + ": it must be signed with the broker's key and not be expired";
      case OAUTH2 -> "check the OAuth2 issuer, credentials file and audience";
      case TLS_CERTIFICATE ->
          "check the client certificate and key: the broker must trust their issuer";
    };
  }

  private String tokenSubject() {
    try {
      String[] parts = token.get().split("\\.");
      if (parts.length < 2) {
        return null;
      }
      String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
      Matcher m = SUBJECT.matcher(payload);
      return m.find() ? m.group(1) : null;
    } catch (RuntimeException e) { // an opaque token, or a file that cannot be read now
      return null;
    }
  }

  /** Names the method, the files and the URLs; never a token, key or password. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    switch (method) {
      case NONE -> parts.add("auth=none");
      case TOKEN ->
          parts.add(tokenFile != null ? "auth=token(file " + tokenFile + ")" : "auth=token");
      case OAUTH2 -> parts.add("auth=oauth2(issuer " + oauthIssuer + ")");
      case TLS_CERTIFICATE -> parts.add("auth=tls-certificate(" + clientCertificate + ")");
    }
    if (trustCertificates != null) {
      parts.add("trustCertificates=" + trustCertificates);
    }
    if (trustStore != null) {
      parts.add("trustStore=" + trustStore + " (" + trustStoreType + ")");
    }
    parts.add("hostnameVerification=" + hostnameVerification);
    if (!clientCustomizers.isEmpty() || !adminCustomizers.isEmpty()) {
      parts.add("customized");
    }
    return "PulsarSecurity{" + String.join(", ", parts) + "}";
  }

  /**
   * Settings of a {@link PulsarSecurity}. Each may be set once; one authentication method at most,
   * and either trusted certificates or a trust store.
   */
  public static final class Builder {
    private Method method = Method.NONE;
    private Supplier<String> token;
    private Path tokenFile;
    private URL oauthIssuer;
    private URL oauthCredentials;
    private String oauthAudience;
    private Path clientCertificate;
    private Path clientKey;
    private Path trustCertificates;
    private Path trustStore;
    private String trustStoreType;
    private String trustStorePassword;
    private Boolean hostnameVerificationSet;
    private boolean hostnameVerification = true;
    private final List<Consumer<ClientBuilder>> clientCustomizers = new ArrayList<>();
    private final List<Consumer<PulsarAdminBuilder>> adminCustomizers = new ArrayList<>();

    private Builder() {}

    private void authOnce(Method next) {
      if (method != Method.NONE) {
        throw new IllegalStateException(
            "Pulsar authentication was already set (" + method + "): choose one method");
      }
      method = next;
    }

    /** A JSON Web Token (the broker's token authentication); the role is its subject. */
    public Builder token(String token) {
      Objects.requireNonNull(token, "token must not be null");
      if (token.isBlank()) {
        throw new ConfigException("Invalid Pulsar token: it is empty");
      }
      authOnce(Method.TOKEN);
      String value = token.strip();
      this.token = () -> value;
      return this;
    }

    /**
     * A token read from {@code file} each time a client connects, so a token renewed in the file is
     * used from the next connection on. The file must be readable now.
     */
    public Builder tokenFile(Path file) {
      Objects.requireNonNull(file, "file must not be null");
      if (!Files.isReadable(file)) {
        throw new ConfigException(
            "Invalid Pulsar token file " + file + ": it does not exist or is not readable");
      }
      authOnce(Method.TOKEN);
      this.tokenFile = file;
      this.token = () -> readToken(file);
      return this;
    }

    /**
     * OAuth2 client credentials: the Pulsar client fetches (and renews) an access token from {@code
     * issuerUrl} with the client id and secret in the JSON {@code credentialsUrl} (e.g. a {@code
     * file:///} URL), for {@code audience}.
     */
    public Builder oauth2ClientCredentials(URL issuerUrl, URL credentialsUrl, String audience) {
      Objects.requireNonNull(issuerUrl, "issuerUrl must not be null");
      Objects.requireNonNull(credentialsUrl, "credentialsUrl must not be null");
      Objects.requireNonNull(audience, "audience must not be null");
      authOnce(Method.OAUTH2);
      this.oauthIssuer = issuerUrl;
      this.oauthCredentials = credentialsUrl;
      this.oauthAudience = audience;
      return this;
    }

    /** Authentication by TLS client certificate (mutual TLS): PEM certificate and PKCS#8 key. */
    public Builder tlsClientCertificate(Path certificatePem, Path privateKeyPem) {
      Objects.requireNonNull(certificatePem, "certificatePem must not be null");
      Objects.requireNonNull(privateKeyPem, "privateKeyPem must not be null");
      requireReadable(certificatePem, "TLS client certificate");
      requireReadable(privateKeyPem, "TLS client key");
      authOnce(Method.TLS_CERTIFICATE);
      this.clientCertificate = certificatePem;
      this.clientKey = privateKeyPem;
      return this;
    }

    /** Trusts the CA certificates in a PEM file (instead of the JVM's default trust). */
    public Builder trustCertificates(Path pemFile) {
      Objects.requireNonNull(pemFile, "pemFile must not be null");
      requireReadable(pemFile, "trusted certificates file");
      if (trustCertificates != null || trustStore != null) {
        throw new IllegalStateException("Pulsar TLS trust was already set");
      }
      this.trustCertificates = pemFile;
      return this;
    }

    /** Trusts the certificates in a key store ({@code type} PKCS12 or JKS). */
    public Builder trustStore(Path file, String type, String password) {
      Objects.requireNonNull(file, "file must not be null");
      Objects.requireNonNull(type, "type must not be null");
      Objects.requireNonNull(password, "password must not be null");
      requireReadable(file, "trust store");
      if (trustCertificates != null || trustStore != null) {
        throw new IllegalStateException("Pulsar TLS trust was already set");
      }
      this.trustStore = file;
      this.trustStoreType = type;
      this.trustStorePassword = password;
      return this;
    }

    /**
     * Whether a TLS connection checks that the broker's certificate names the host it connects to
     * (default true; the Pulsar clients' own default is false).
     */
    public Builder hostnameVerification(boolean enabled) {
      if (hostnameVerificationSet != null) {
        throw new IllegalStateException("hostnameVerification was already set");
      }
      this.hostnameVerificationSet = Boolean.TRUE;
      this.hostnameVerification = enabled;
      return this;
    }

    /** Runs on every Pulsar client builder Sluice creates, after the typed settings. */
    public Builder customizeClient(Consumer<ClientBuilder> customizer) {
      clientCustomizers.add(Objects.requireNonNull(customizer, "customizer must not be null"));
      return this;
    }

    /** Runs on every Pulsar admin builder Sluice creates, after the typed settings. */
    public Builder customizeAdmin(Consumer<PulsarAdminBuilder> customizer) {
      adminCustomizers.add(Objects.requireNonNull(customizer, "customizer must not be null"));
      return this;
    }

    public PulsarSecurity build() {
      return new PulsarSecurity(this);
    }

    private static void requireReadable(Path file, String what) {
      if (!Files.isReadable(file)) {
        throw new ConfigException(
            "Invalid Pulsar " + what + " " + file + ": it does not exist or is not readable");
      }
    }

    private static String readToken(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the Pulsar token file " + file, e);
      }
    }
  }
}
