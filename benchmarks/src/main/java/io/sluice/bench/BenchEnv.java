package io.sluice.bench;

import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;

/** The broker (embedded unless SLUICE_PULSAR_URL is set), clients and shared helpers. */
final class BenchEnv implements AutoCloseable {
  final String serviceUrl;
  final String adminUrl;
  final PulsarAdmin admin;
  final PulsarClient client;
  final Path work;
  private final PulsarStandalone embedded;

  BenchEnv(String name) throws Exception {
    work = Path.of("work-data", "bench-" + name + "-" + System.currentTimeMillis());
    String url = System.getenv("SLUICE_PULSAR_URL");
    if (url == null || url.isBlank()) {
      embedded = PulsarStandalone.start(work.resolve("pulsar"));
      serviceUrl = embedded.serviceUrl();
      adminUrl = embedded.adminUrl();
    } else {
      embedded = null;
      serviceUrl = url;
      adminUrl = System.getenv("SLUICE_PULSAR_ADMIN_URL");
    }
    admin = PulsarAdmin.builder().serviceHttpUrl(adminUrl).build();
    client = PulsarClient.builder().serviceUrl(serviceUrl).build();
  }

  Producer<byte[]> producer(String topic) throws Exception {
    return client
        .newProducer(Schema.BYTES)
        .topic(topic)
        .blockIfQueueFull(true)
        .maxPendingMessages(10_000)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
        .create();
  }

  /** A JSON event of about 200 bytes. */
  static byte[] event(long id, long nanos) {
    String json =
        "{\"id\":"
            + id
            + ",\"sentNanos\":"
            + nanos
            + ",\"user\":\"user-"
            + (id % 10_000)
            + "\",\"kind\":\"click\",\"page\":\"/catalog/items/"
            + (id % 977)
            + "\",\"amount\":"
            + (id % 1000) / 10.0
            + ",\"tags\":[\"a\",\"b\",\"c\"],\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";
    return json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  @Override
  public void close() throws Exception {
    client.close();
    admin.close();
    if (embedded != null) {
      embedded.close();
    }
  }
}
