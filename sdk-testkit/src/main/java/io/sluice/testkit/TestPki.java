package io.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for tests, made with the JDK's {@code keytool} (no OpenSSL
 * needed): a CA, and certificates it issues for servers ({@code 127.0.0.1}, {@code localhost}) and
 * clients, each as a PKCS#12 key store and as PEM files.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create(dir);
 * TestPki.Issued broker = pki.issue("broker", "127.0.0.1");
 * // broker.keyStore() for a Java server, broker.certificatePem()/privateKeyPem() for Redis,
 * // pki.caPem() or pki.trustStore() for the clients
 * }</pre>
 */
public final class TestPki {
  private static final String CA = "ca";

  private final Path dir;
  private final String password;

  /** A certificate issued by the CA: key store (PKCS#12, the CA's password), PEM files. */
  public record Issued(Path keyStore, Path certificatePem, Path privateKeyPem) {}

  private TestPki(Path dir, String password) {
    this.dir = dir;
    this.password = password;
  }

  /** Creates the CA and its trust store under {@code dir}. */
  public static TestPki create(Path dir) {
    Objects.requireNonNull(dir, "dir must not be null");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TestPki pki = new TestPki(dir.toAbsolutePath(), "test-" + Long.toHexString(System.nanoTime()));
    pki.keytool(
        "-genkeypair",
        "-keystore",
        pki.caKeyStore(),
        "-alias",
        CA,
        "-dname",
        "CN=Sluice Test CA",
        "-ext",
        "bc:c",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "30");
    pki.keytool(
        "-exportcert",
        "-keystore",
        pki.caKeyStore(),
        "-alias",
        CA,
        "-rfc",
        "-file",
        pki.caPem().toString());
    pki.keytool(
        "-importcert",
        "-keystore",
        pki.trustStore().toString(),
        "-alias",
        CA,
        "-file",
        pki.caPem().toString(),
        "-noprompt");
    return pki;
  }

  /** The CA certificate, PEM. */
  public Path caPem() {
    return dir.resolve("ca.pem");
  }

  /** A PKCS#12 trust store holding the CA certificate; password {@link #password()}. */
  public Path trustStore() {
    return dir.resolve("trust.p12");
  }

  /** The password of every key store here. */
  public String password() {
    return password;
  }

  /**
   * Issues a certificate named {@code name} for subject {@code CN=commonName}, valid for the host
   * names 127.0.0.1 and localhost (servers) and for client authentication.
   */
  public Issued issue(String name, String commonName) {
    Path store = dir.resolve(name + ".p12");
    Path csr = dir.resolve(name + ".csr");
    Path pem = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key.pem");
    try { // issued again (a server restarted): a fresh key, not one keytool refuses to overwrite
      for (Path file : List.of(store, csr, pem, key)) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    keytool(
        "-genkeypair",
        "-keystore",
        store.toString(),
        "-alias",
        name,
        "-dname",
        "CN=" + commonName,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-validity",
        "30");
    keytool("-certreq", "-keystore", store.toString(), "-alias", name, "-file", csr.toString());
    keytool(
        "-gencert",
        "-keystore",
        caKeyStore(),
        "-alias",
        CA,
        "-infile",
        csr.toString(),
        "-outfile",
        pem.toString(),
        "-rfc",
        "-validity",
        "30",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-ext",
        "EKU=serverAuth,clientAuth");
    keytool(
        "-importcert",
        "-keystore",
        store.toString(),
        "-alias",
        CA,
        "-file",
        caPem().toString(),
        "-noprompt");
    keytool("-importcert", "-keystore", store.toString(), "-alias", name, "-file", pem.toString());
    writePrivateKey(store, name, key);
    return new Issued(store, pem, key);
  }

  private String caKeyStore() {
    return dir.resolve("ca.p12").toString();
  }

  /** The key as unencrypted PKCS#8 PEM, the form Pulsar, Redis and most servers read. */
  private void writePrivateKey(Path store, String alias, Path target) {
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password.toCharArray());
      Key key = ks.getKey(alias, password.toCharArray());
      String base64 =
          Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(key.getEncoded());
      Files.writeString(
          target, "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n");
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot export the key of " + store, e);
    }
  }

  private void keytool(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", password));
    try {
      Path log = dir.resolve("keytool.log");
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "keytool " + args[0] + " failed; see " + log + ":\n" + Files.readString(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run keytool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running keytool", e);
    }
  }
}
