package io.sluice.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An OAuth2 authorization server for tests, on loopback: it publishes its metadata ({@code
 * /.well-known/openid-configuration}) and answers the client-credentials grant at {@code /token}
 * for one client id and secret with an access token from {@code tokens} (a JWT the broker's token
 * authentication accepts), as an identity provider in front of a Pulsar cluster would. A wrong
 * secret gets 401 {@code invalid_client}.
 */
public final class TestOAuth2Issuer implements AutoCloseable {
  private final HttpServer server;
  private final String clientId;
  private final String clientSecret;
  private final Supplier<String> accessToken;
  private final AtomicInteger grants = new AtomicInteger();
  private final AtomicInteger refusals = new AtomicInteger();

  private TestOAuth2Issuer(String clientId, String clientSecret, Supplier<String> accessToken)
      throws IOException {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.accessToken = accessToken;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/.well-known/openid-configuration", this::metadata);
    server.createContext("/token", this::token);
    server.start();
  }

  /** Starts an issuer granting {@code accessToken} to the client {@code clientId}. */
  public static TestOAuth2Issuer start(
      String clientId, String clientSecret, Supplier<String> accessToken) throws IOException {
    return new TestOAuth2Issuer(clientId, clientSecret, accessToken);
  }

  public URL issuerUrl() {
    try {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort()).toURL();
    } catch (java.net.MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes the client's credentials file (as an identity provider hands it out) into {@code dir}.
   */
  public URL credentialsFile(Path dir, String secret) throws IOException {
    Path file = dir.resolve("oauth2-" + clientId + "-" + Integer.toHexString(secret.hashCode()));
    Files.writeString(
        file,
        "{\"type\":\"client_credentials\",\"client_id\":\""
            + clientId
            + "\",\"client_secret\":\""
            + secret
            + "\",\"issuer_url\":\""
            + issuerUrl()
            + "\"}");
    return file.toUri().toURL();
  }

  /** Access tokens granted so far. */
  public int grants() {
    return grants.get();
  }

  /** Token requests refused so far (wrong client or secret). */
  public int refusals() {
    return refusals.get();
  }

  private void metadata(HttpExchange exchange) throws IOException {
    String issuer = issuerUrl().toString();
    respond(
        exchange,
        200,
        "{\"issuer\":\""
            + issuer
            + "\",\"token_endpoint\":\""
            + issuer
            + "/token\",\"grant_types_supported\":[\"client_credentials\"]}");
  }

  private void token(HttpExchange exchange) throws IOException {
    Map<String, String> form = new HashMap<>();
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        form.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    if (!"client_credentials".equals(form.get("grant_type"))
        || !clientId.equals(form.get("client_id"))
        || !clientSecret.equals(form.get("client_secret"))) {
      refusals.incrementAndGet();
      respond(
          exchange,
          401,
          "{\"error\":\"invalid_client\",\"error_description\":\"unknown client or wrong secret\"}");
      return;
    }
    grants.incrementAndGet();
    respond(
        exchange,
        200,
        "{\"access_token\":\""
            + accessToken.get()
            + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
  }

  private static void respond(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
