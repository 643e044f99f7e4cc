package io.sluice.internal;

import io.sluice.config.PulsarSecurity;
import io.sluice.errors.ConfigException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * Recognises the broker refusing the app's credentials or a permission anywhere in a cause chain,
 * and turns it into a {@link ConfigException} that names the role and the fix. The message shows
 * what the broker said and the role as the settings describe it, never the credentials.
 */
public final class PulsarAccessErrors {
  private static final Pattern NAMESPACE =
      Pattern.compile("(?:persistent|non-persistent)://([^/\\s]+/[^/\\s]+)/");

  private PulsarAccessErrors() {}

  /** A refusal found in {@code error}'s causes, explained; empty when there is none. */
  public static Optional<ConfigException> explain(
      Throwable error, PulsarSecurity security, String cluster) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof ConfigException ce && ce.getMessage().startsWith("Pulsar refused")) {
        return Optional.of(ce); // explained already
      }
      if (t instanceof PulsarClientException.AuthenticationException
          || (t instanceof PulsarAdminException.NotAuthorizedException ae
              && ae.getStatusCode() == 401)) {
        return Optional.of(authentication(t, security, cluster, error));
      }
      if (t instanceof PulsarClientException.AuthorizationException
          || (t instanceof PulsarAdminException ae && ae.getStatusCode() == 403)) {
        return Optional.of(authorization(t, security, cluster, error));
      }
    }
    return Optional.empty();
  }

  private static ConfigException authentication(
      Throwable refusal, PulsarSecurity security, String cluster, Throwable error) {
    return new ConfigException(
        "Pulsar refused the app's credentials at "
            + cluster
            + ": authentication failed for "
            + security.describeRole()
            + " ("
            + brokerSaid(refusal)
            + "); "
            + security.credentialHint()
            + ".",
        error);
  }

  private static ConfigException authorization(
      Throwable refusal, PulsarSecurity security, String cluster, Throwable error) {
    String said = brokerSaid(refusal);
    return new ConfigException(
        "Pulsar refused a permission at "
            + cluster
            + ": "
            + security.describeRole()
            + " lacks "
            + missing(said, error)
            + " (broker: "
            + said
            + "; while: "
            + firstLine(error.getMessage())
            + "). README \"Secured clusters\" lists every permission an app needs.",
        error);
  }

  /** What to grant, read from the broker's answer and the topic the failed call named. */
  private static String missing(String said, Throwable error) {
    if (said.contains("transaction_coordinator_assign") || chainMentions(error, "transaction")) {
      return "'consume' on persistent://pulsar/system/transaction_coordinator_assign, which every"
          + " client with transactions looks up (pulsar-admin topics grant-permission"
          + " persistent://pulsar/system/transaction_coordinator_assign --role <role> --actions"
          + " consume)";
    }
    String namespace = namespaceIn(error);
    if (said.contains("[CREATE_TOPIC]")) {
      // creating a topic through the admin API needs more than produce and consume
      String tenant = namespace != null ? namespace.split("/")[0] : "<tenant>";
      return "the right to create topics in namespace "
          + (namespace != null ? namespace : "<tenant>/<namespace>")
          + ", which the admin API grants only to a tenant admin (pulsar-admin tenants update "
          + tenant
          + " --admin-roles <role>)";
    }
    return "'consume' and 'produce' on namespace "
        + (namespace != null ? namespace : "<tenant>/<namespace>")
        + " (pulsar-admin namespaces grant-permission "
        + (namespace != null ? namespace : "<tenant>/<namespace>")
        + " --role <role> --actions consume,produce)";
  }

  private static boolean chainMentions(Throwable error, String word) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t.getClass().getName().toLowerCase(Locale.ROOT).contains(word)) {
        return true;
      }
    }
    return false;
  }

  private static String namespaceIn(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      Matcher m = NAMESPACE.matcher(String.valueOf(t.getMessage()));
      if (m.find()) {
        return m.group(1);
      }
    }
    return null;
  }

  private static String brokerSaid(Throwable refusal) {
    String message = refusal.getMessage();
    return message == null || message.isBlank()
        ? refusal.getClass().getSimpleName()
        : firstLine(message);
  }

  /** The message on one line, at most 300 characters. */
  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    String line = s.replaceAll("\\s+", " ").strip();
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }
}
