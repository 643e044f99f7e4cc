package io.sluice.internal;

import io.sluice.ConfigException;
import io.sluice.PulsarSecurity;
import java.util.Optional;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * Recognises the broker refusing the app's credentials or a permission anywhere in a cause chain,
 * and turns it into a {@link ConfigException} that names the role and the fix. The message shows
 * what the broker said and the role as the settings describe it, never the credentials.
 */
public final class PulsarAccessErrors {
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
    return new ConfigException(
        "Pulsar refused a permission at "
            + cluster
            + ": "
            + security.describeRole()
            + " lacks it ("
            + brokerSaid(refusal)
            + "; while: "
            + firstLine(error.getMessage())
            + "). Grant the role what README \"Secured clusters\" lists, e.g. pulsar-admin"
            + " namespaces grant-permission <tenant>/<namespace> --role <role> --actions"
            + " consume,produce",
        error);
  }

  private static String brokerSaid(Throwable refusal) {
    String message = refusal.getMessage();
    return message == null || message.isBlank()
        ? refusal.getClass().getSimpleName()
        : firstLine(message);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String line = nl >= 0 ? s.substring(0, nl) : s;
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }
}
