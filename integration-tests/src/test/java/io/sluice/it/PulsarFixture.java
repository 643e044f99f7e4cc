package io.sluice.it;

import io.sluice.testkit.PulsarStandalone;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/** The shared broker plus helpers to produce and read back. */
final class PulsarFixture {
  private static PulsarAdmin admin;
  private static PulsarClient client;

  private PulsarFixture() {}

  static PulsarStandalone broker() {
    return PulsarStandalone.shared();
  }

  static synchronized PulsarAdmin admin() throws Exception {
    if (admin == null) {
      admin = PulsarAdmin.builder().serviceHttpUrl(broker().adminUrl()).build();
    }
    return admin;
  }

  static synchronized PulsarClient client() throws Exception {
    if (client == null) {
      client = PulsarClient.builder().serviceUrl(broker().serviceUrl()).build();
    }
    return client;
  }

  static String uniqueTopic(String prefix) {
    return "persistent://public/default/" + prefix + "-" + System.nanoTime();
  }

  /** Sends {@code count} messages "prefix-i" keyed "k(i % keys)" (batched, async). */
  static void produce(String topic, String prefix, int from, int count, int keys) throws Exception {
    produce(topic, from, count, i -> "k" + (i % keys), i -> prefix + "-" + i, null, 0);
  }

  /**
   * Sends message {@code i} for {@code from <= i < from + count} with key {@code key(i)}, value
   * {@code value(i)} and, unless {@code eventTime} is null, that event time; in chunks of 1,000
   * spread over {@code overMillis} (0: as fast as possible). Waits for every send, with no
   * client-side send timeout: under load a timed-out batch would silently shrink the input and show
   * up as "lost" output.
   */
  static void produce(
      String topic,
      int from,
      int count,
      IntFunction<String> key,
      IntFunction<String> value,
      IntToLongFunction eventTime,
      long overMillis)
      throws Exception {
    produce(client(), topic, from, count, key, value, eventTime, overMillis);
  }

  /**
   * {@link #produce(String, int, int, IntFunction, IntFunction, IntToLongFunction, long)} with
   * {@code client}'s broker.
   */
  static void produce(
      PulsarClient client,
      String topic,
      int from,
      int count,
      IntFunction<String> key,
      IntFunction<String> value,
      IntToLongFunction eventTime,
      long overMillis)
      throws Exception {
    try (Producer<String> producer =
        client
            .newProducer(Schema.STRING)
            .topic(topic)
            .blockIfQueueFull(true)
            .sendTimeout(0, TimeUnit.SECONDS)
            .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
            .create()) {
      int chunk = 1000;
      List<CompletableFuture<?>> sent = new ArrayList<>();
      for (int i = from; i < from + count; i += chunk) {
        for (int j = i; j < Math.min(from + count, i + chunk); j++) {
          TypedMessageBuilder<String> message =
              producer.newMessage().key(key.apply(j)).value(value.apply(j));
          if (eventTime != null) {
            message.eventTime(eventTime.applyAsLong(j));
          }
          sent.add(message.sendAsync());
        }
        producer.flush();
        sent.forEach(CompletableFuture::join);
        sent.clear();
        if (overMillis > 0) {
          Thread.sleep(Math.max(1, overMillis * chunk / count));
        }
      }
    }
  }

  /** Everything committed on a topic (all partitions), read from the earliest message. */
  static List<String> readAll(String topic) throws Exception {
    return readAll(admin(), client(), topic);
  }

  /** {@link #readAll(String)} from the broker of {@code admin} and {@code client}. */
  static List<String> readAll(PulsarAdmin admin, PulsarClient client, String topic)
      throws Exception {
    List<String> out = new ArrayList<>();
    int partitions = admin.topics().getPartitionedTopicMetadata(topic).partitions;
    List<String> names = new ArrayList<>();
    if (partitions == 0) {
      names.add(topic);
    } else {
      for (int i = 0; i < partitions; i++) {
        names.add(topic + "-partition-" + i);
      }
    }
    for (String name : names) {
      try (Reader<byte[]> reader =
          client.newReader().topic(name).startMessageId(MessageId.earliest).create()) {
        while (reader.hasMessageAvailable()) {
          Message<byte[]> m = reader.readNext(10, TimeUnit.SECONDS);
          if (m == null) {
            break;
          }
          out.add(new String(m.getValue(), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }
}
