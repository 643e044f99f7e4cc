package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PulsarStandaloneIT {
  private static PulsarStandalone pulsar;
  private static PulsarAdmin admin;

  @BeforeAll
  static void start() throws Exception {
    pulsar = PulsarStandalone.shared();
    admin = PulsarAdmin.builder().serviceHttpUrl(pulsar.adminUrl()).build();
  }

  @AfterAll
  static void closeAdmin() {
    admin.close();
  }

  private static PulsarClient client() throws Exception {
    return PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build();
  }

  @Test
  void shouldReadEveryMessageWithOneReaderPerPartitionAndPickUpANewPartition() throws Exception {
    String topic = "persistent://public/default/testkit-partitioned-" + System.nanoTime();
    admin.topics().createPartitionedTopic(topic, 4);
    try (PulsarClient client = client();
        Producer<String> producer =
            client.newProducer(Schema.STRING).topic(topic).enableBatching(true).create()) {
      for (int i = 0; i < 10_000; i++) {
        producer.newMessage().key("k" + i).value("m" + i).sendAsync();
      }
      producer.flush();

      Set<String> seen = new HashSet<>();
      for (int p = 0; p < 4; p++) {
        seen.addAll(readAll(client, topic + "-partition-" + p));
      }
      assertThat(seen).hasSize(10_000).contains("m0", "m9999");

      admin.topics().updatePartitionedTopic(topic, 5);
      assertThat(admin.topics().getPartitionedTopicMetadata(topic).partitions).isEqualTo(5);
      try (Producer<String> direct =
          client.newProducer(Schema.STRING).topic(topic + "-partition-4").create()) {
        direct.send("on-new-partition");
      }
      assertThat(readAll(client, topic + "-partition-4")).containsExactly("on-new-partition");
    }
  }

  @Test
  void shouldKeepMessagesAcrossABrokerRestart() throws Exception {
    String topic = "persistent://public/default/testkit-restart-" + System.nanoTime();
    try (PulsarClient client = client();
        Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
      for (int i = 0; i < 100; i++) {
        producer.send("before-restart-" + i);
      }
    }
    pulsar.restart();
    try (PulsarClient client = client()) {
      List<String> read = readAll(client, topic);
      assertThat(read).hasSize(100).startsWith("before-restart-0").endsWith("before-restart-99");
    }
  }

  private static List<String> readAll(PulsarClient client, String partition) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    try (Reader<byte[]> reader =
        client
            .newReader()
            .topic(partition)
            .startMessageId(MessageId.earliest)
            .receiverQueueSize(1000)
            .create()) {
      while (reader.hasMessageAvailable()) {
        Message<byte[]> message = reader.readNext(10, TimeUnit.SECONDS);
        if (message == null) {
          break;
        }
        out.add(new String(message.getValue(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }
}
