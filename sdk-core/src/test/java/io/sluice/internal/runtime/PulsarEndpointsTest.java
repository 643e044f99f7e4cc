package io.sluice.internal.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PulsarEndpointsTest {
  @Test
  void shouldListEveryHostOfAMultiHostUrl() {
    assertThat(PulsarEndpoints.parse("pulsar://h1:6650,h2:6652,h3/"))
        .extracting(InetSocketAddress::getHostString, InetSocketAddress::getPort)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("h1", 6650),
            org.assertj.core.groups.Tuple.tuple("h2", 6652),
            org.assertj.core.groups.Tuple.tuple("h3", 6650));
  }

  @Test
  void shouldDefaultToPort6651ForTls() {
    assertThat(PulsarEndpoints.parse("pulsar+ssl://pulsar.example.com"))
        .extracting(InetSocketAddress::getHostString, InetSocketAddress::getPort)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("pulsar.example.com", 6651));
    assertThat(PulsarEndpoints.parse("pulsar://[::1]:7000").get(0).getPort()).isEqualTo(7000);
  }

  @Test
  void shouldRefuseAHostWithABadPort() {
    assertThatThrownBy(() -> PulsarEndpoints.parse("pulsar://h1:66x"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid value pulsar://h1:66x for sluice.pulsar.serviceUrl: 'h1:66x' has no valid port");
  }

  @Test
  void shouldPassTheProbeWhenAnyHostAnswers() throws Exception {
    try (ServerSocket listening =
        new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int closedPort;
      try (ServerSocket closed = new ServerSocket(0)) {
        closedPort = closed.getLocalPort();
      }
      PulsarEndpoints.probe(
          "pulsar://127.0.0.1:" + closedPort + ",127.0.0.1:" + listening.getLocalPort(), 2000);

      assertThatThrownBy(() -> PulsarEndpoints.probe("pulsar://127.0.0.1:" + closedPort, 2000))
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("Cannot connect to Pulsar at pulsar://127.0.0.1:" + closedPort)
          .hasMessageContaining("Check sluice.pulsar.serviceUrl");
    }
  }
}
