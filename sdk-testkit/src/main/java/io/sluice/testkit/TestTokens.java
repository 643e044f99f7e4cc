package io.sluice.testkit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * JSON Web Tokens signed with a secret key (HS256), as Pulsar's token authentication checks them:
 * the broker is given {@link #brokerSecretKeySetting()}, clients a {@link #token(String)} whose
 * subject is their role.
 */
public final class TestTokens {
  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
  private final byte[] secret;

  private TestTokens(byte[] secret) {
    this.secret = secret;
  }

  /** Tokens signed with a fresh random 256-bit key. */
  public static TestTokens random() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return new TestTokens(key);
  }

  /** The broker's {@code tokenSecretKey} value. */
  public String brokerSecretKeySetting() {
    return "data:;base64," + Base64.getEncoder().encodeToString(secret);
  }

  /** A token for {@code role}, without expiry. */
  public String token(String role) {
    Objects.requireNonNull(role, "role must not be null");
    String header = URL.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
    String payload =
        URL.encodeToString(("{\"sub\":\"" + role + "\"}").getBytes(StandardCharsets.UTF_8));
    String signed = header + "." + payload;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return signed
          + "."
          + URL.encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }
}
