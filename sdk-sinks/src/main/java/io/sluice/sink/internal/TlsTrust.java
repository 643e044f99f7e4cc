package io.sluice.sink.internal;

import io.sluice.errors.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificates a sink trusts for TLS to its server: a key store file ({@code PKCS12} or {@code
 * JKS}) and its password.
 */
public record TlsTrust(Path file, String type, Secret password) {
  public TlsTrust {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(type, "type must not be null");
    Objects.requireNonNull(password, "password must not be null");
  }

  /** Checks the arguments of a sink builder's {@code trustStore(file, type, password)}. */
  public static TlsTrust of(Path file, String type, String password) {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(type, "type must not be null");
    Objects.requireNonNull(password, "password must not be null");
    if (!Files.isReadable(file)) {
      throw new ConfigException(
          "Invalid trust store " + file + ": it does not exist or is not readable");
    }
    return new TlsTrust(file, type, Secret.of(password));
  }

  /** A TLS context that trusts exactly the certificates in the store. */
  public SSLContext sslContext() {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance(type);
      store.load(in, password.reveal().toCharArray());
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      // the cause of a wrong password says so without showing it
      throw new ConfigException(
          "Cannot load the trust store " + file + " (" + type + "): " + e.getMessage(), e);
    }
  }
}
