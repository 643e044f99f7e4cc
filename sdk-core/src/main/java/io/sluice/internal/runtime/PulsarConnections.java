package io.sluice.internal.runtime;

import io.sluice.ConfigException;
import io.sluice.internal.AppSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * The app's admin and binary clients, opened only once the broker answered on both, so that a wrong
 * URL or a broker that is down fails the start naming the setting.
 */
record PulsarConnections(PulsarAdmin admin, PulsarClient client) {

  @SuppressWarnings("deprecation") // statsInterval: deprecated for OpenTelemetry, still honoured
  static PulsarConnections open(AppSettings settings) {
    URI service = URI.create(settings.serviceUrl());
    int port = service.getPort() > 0 ? service.getPort() : 6650;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(service.getHost(), port), 5000);
    } catch (IOException e) {
      throw new ConfigException(
          "Cannot connect to Pulsar at "
              + settings.serviceUrl()
              + " ("
              + e.getMessage()
              + "). Check sluice.pulsar.serviceUrl and that the broker is running.",
          e);
    }
    PulsarAdmin admin;
    try {
      admin =
          PulsarAdmin.builder()
              .serviceHttpUrl(settings.adminUrl())
              .connectionTimeout(5, TimeUnit.SECONDS)
              .readTimeout(30, TimeUnit.SECONDS)
              .build();
      admin.clusters().getClusters();
    } catch (Exception e) {
      throw new ConfigException(
          "Cannot reach the Pulsar admin API at "
              + settings.adminUrl()
              + " ("
              + e.getMessage()
              + "). Check sluice.pulsar.adminUrl and that the broker is running.",
          e);
    }
    try {
      PulsarClient client =
          PulsarClient.builder()
              .serviceUrl(settings.serviceUrl())
              .listenerThreads(Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())))
              .ioThreads(1)
              // the client's own statistics (counted per message on the fetcher threads, logged
              // every minute) duplicate Sluice's metrics; switched off, they cost nothing
              .statsInterval(0, TimeUnit.SECONDS)
              .connectionTimeout(10, TimeUnit.SECONDS)
              .operationTimeout(30, TimeUnit.SECONDS)
              .enableTransaction(settings.stateChangelog())
              .build();
      return new PulsarConnections(admin, client);
    } catch (PulsarClientException e) {
      admin.close();
      throw new ConfigException(
          "Invalid sluice.pulsar.serviceUrl " + settings.serviceUrl() + ": " + e.getMessage(), e);
    }
  }
}
