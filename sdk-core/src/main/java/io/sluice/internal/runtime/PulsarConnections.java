package io.sluice.internal.runtime;

import io.sluice.errors.ConfigException;
import io.sluice.internal.AppSettings;
import io.sluice.internal.PulsarAccessErrors;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminBuilder;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * The app's admin and binary clients, opened only once the broker answered on both, so that a wrong
 * URL, a broker that is down or refused credentials fail the start naming the setting. Both carry
 * the app's {@link io.sluice.config.PulsarSecurity}.
 */
record PulsarConnections(PulsarAdmin admin, PulsarClient client) {

  @SuppressWarnings("deprecation") // statsInterval: deprecated for OpenTelemetry, still honoured
  static PulsarConnections open(AppSettings settings) {
    PulsarEndpoints.probe(settings.serviceUrl(), 5000);
    PulsarAdmin admin = openAdmin(settings);
    try {
      ClientBuilder builder =
          PulsarClient.builder()
              .serviceUrl(settings.serviceUrl())
              .listenerThreads(Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())))
              .ioThreads(1)
              // the client's own statistics (counted per message on the fetcher threads, logged
              // every minute) duplicate Sluice's metrics; switched off, they cost nothing
              .statsInterval(0, TimeUnit.SECONDS)
              .connectionTimeout(10, TimeUnit.SECONDS)
              .operationTimeout(30, TimeUnit.SECONDS)
              .enableTransaction(settings.stateChangelog());
      settings.pulsarSecurity().applyTo(builder);
      return new PulsarConnections(admin, builder.build());
    } catch (PulsarClientException | RuntimeException e) {
      admin.close();
      if (e instanceof ConfigException ce) {
        throw ce;
      }
      throw new ConfigException(
          "Invalid sluice.pulsar.serviceUrl or Pulsar security settings for "
              + settings.serviceUrl()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The admin client, after one call that every authenticated role may make (the broker's version;
   * listing clusters, as this did before, needs a super-user).
   */
  private static PulsarAdmin openAdmin(AppSettings settings) {
    PulsarAdmin admin = null;
    try {
      PulsarAdminBuilder builder =
          PulsarAdmin.builder()
              .serviceHttpUrl(settings.adminUrl())
              .connectionTimeout(5, TimeUnit.SECONDS)
              .readTimeout(30, TimeUnit.SECONDS);
      settings.pulsarSecurity().applyTo(builder);
      admin = builder.build();
      admin.brokers().getVersion();
      return admin;
    } catch (Exception e) {
      if (admin != null) {
        admin.close();
      }
      throw PulsarAccessErrors.explain(e, settings.pulsarSecurity(), settings.adminUrl())
          .orElseGet(
              () ->
                  new ConfigException(
                      "Cannot reach the Pulsar admin API at "
                          + settings.adminUrl()
                          + " ("
                          + e.getMessage()
                          + "). Check sluice.pulsar.adminUrl, the TLS trust settings and that"
                          + " the broker is running.",
                      e));
    }
  }
}
