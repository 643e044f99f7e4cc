package io.sluice.internal.runtime;

import io.sluice.errors.ConfigException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The broker addresses of a Pulsar service URL: {@code pulsar://h1:6650,h2:6650/} lists several,
 * and a host without a port means 6650 ({@code pulsar://}) or 6651 ({@code pulsar+ssl://}).
 */
final class PulsarEndpoints {
  private PulsarEndpoints() {}

  static List<InetSocketAddress> parse(String serviceUrl) {
    boolean tls = serviceUrl.startsWith("pulsar+ssl://");
    String rest = serviceUrl.substring(serviceUrl.indexOf("://") + 3);
    int slash = rest.indexOf('/');
    String hosts = slash >= 0 ? rest.substring(0, slash) : rest;
    List<InetSocketAddress> out = new ArrayList<>();
    for (String hostPort : hosts.split(",")) {
      out.add(address(serviceUrl, hostPort.strip(), tls ? 6651 : 6650));
    }
    return out;
  }

  private static InetSocketAddress address(String serviceUrl, String hostPort, int defaultPort) {
    String host = hostPort;
    int port = defaultPort;
    int colon = hostPort.lastIndexOf(':');
    boolean bracketed = hostPort.startsWith("[");
    if (colon > 0 && (!bracketed || colon > hostPort.indexOf(']'))) {
      host = hostPort.substring(0, colon);
      try {
        port = Integer.parseInt(hostPort.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw invalid(serviceUrl, "'" + hostPort + "' has no valid port");
      }
    }
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw invalid(serviceUrl, "'" + hostPort + "' is not host[:port]");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  private static ConfigException invalid(String serviceUrl, String why) {
    return new ConfigException(
        "Invalid value " + serviceUrl + " for sluice.pulsar.serviceUrl: " + why);
  }

  /**
   * Connects to each address in turn until one answers; fails naming every address and why it did
   * not.
   */
  static void probe(String serviceUrl, int timeoutMillis) {
    List<String> failures = new ArrayList<>();
    for (InetSocketAddress unresolved : parse(serviceUrl)) {
      InetSocketAddress address =
          new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
      try (Socket socket = new Socket()) {
        socket.connect(address, timeoutMillis);
        return;
      } catch (IOException | IllegalArgumentException e) {
        failures.add(unresolved.getHostString() + ":" + unresolved.getPort() + " (" + e + ")");
      }
    }
    throw new ConfigException(
        "Cannot connect to Pulsar at "
            + serviceUrl
            + ": "
            + String.join(", ", failures)
            + ". Check sluice.pulsar.serviceUrl and that the broker is running.");
  }
}
