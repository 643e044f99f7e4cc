package io.sluice.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.IntToLongFunction;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * The shared broker ({@link PulsarStandalone#shared()}) with its clients, and the helpers tests and
 * benchmarks need around it: unique topic names, producing, reading everything back, waiting for a
 * subscription to catch up.
 *
 * <pre>{@code
 * String topic = PulsarFixture.uniqueTopic("orders");
 * PulsarFixture.admin().topics().createPartitionedTopic(topic, 4);
 * PulsarFixture.produce(topic, "m", 0, 1000, 10);
 * // ... run the app with subscription "app" ...
 * PulsarFixture.awaitNoBacklog(topic, "app", Duration.ofMinutes(1));
 * List<String> out = PulsarFixture.readAll(outputTopic);
 * }</pre>
 *
 * <p>The clients are created on first use and shared by every caller in the JVM (thread-safe); they
 * stay open until the JVM exits, as the broker does.
 */
public final class PulsarFixture {
  private static PulsarAdmin admin;
  private static PulsarClient client;

  private PulsarFixture() {}

  /** The shared broker (started on first use). */
  public static PulsarStandalone broker() {
    return PulsarStandalone.shared();
  }

  /** An admin client of the shared broker. */
  public static synchronized PulsarAdmin admin() throws Exception {
    if (admin == null) {
      admin = PulsarAdmin.builder().serviceHttpUrl(broker().adminUrl()).build();
    }
    return admin;
  }

  /** A client of the shared broker. */
  public static synchronized PulsarClient client() throws Exception {
    if (client == null) {
      client = PulsarClient.builder().serviceUrl(broker().serviceUrl()).build();
    }
    return client;
  }

  /** A topic name in {@code public/default} that no other caller uses: {@code prefix-<nanos>}. */
  public static String uniqueTopic(String prefix) {
    return "persistent://public/default/" + prefix + "-" + System.nanoTime();
  }

  /** Sends {@code count} messages "prefix-i" keyed "k(i % keys)" (batched, async). */
  public static void produce(String topic, String prefix, int from, int count, int keys)
      throws Exception {
    produce(topic, from, count, i -> "k" + (i % keys), i -> prefix + "-" + i, null, 0);
  }

  /**
   * Sends message {@code i} for {@code from <= i < from + count} with key {@code key(i)}, value
   * {@code value(i)} and, unless {@code eventTime} is null, that event time; in chunks of 1,000
   * spread over {@code overMillis} (0: as fast as possible). Waits for every send, with no
   * client-side send timeout: under load a timed-out batch would silently shrink the input and show
   * up as "lost" output.
   */
  public static void produce(
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
  public static void produce(
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
  public static List<String> readAll(String topic) throws Exception {
    return readAll(admin(), client(), topic);
  }

  /** {@link #readAll(String)} from the broker of {@code admin} and {@code client}. */
  public static List<String> readAll(PulsarAdmin admin, PulsarClient client, String topic)
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

  /**
   * Waits until {@code subscription} exists on {@code topic} (every partition of a partitioned
   * topic) and has no backlog left.
   *
   * @throws AssertionError when that is not so after {@code timeout}, naming the backlog left
   */
  public static void awaitNoBacklog(String topic, String subscription, Duration timeout)
      throws Exception {
    awaitNoBacklog(admin(), topic, subscription, timeout);
  }

  /** {@link #awaitNoBacklog(String, String, Duration)} on the broker of {@code admin}. */
  public static void awaitNoBacklog(
      PulsarAdmin admin, String topic, String subscription, Duration timeout) throws Exception {
    long[] backlog = {-1};
    try {
      Await.until(
          "no backlog of " + subscription + " on " + topic,
          timeout,
          () -> {
            try {
              backlog[0] = backlog(admin, topic, subscription);
            } catch (PulsarAdminException e) {
              throw new IllegalStateException("cannot read the stats of " + topic, e);
            }
            return backlog[0] == 0;
          });
    } catch (AssertionError e) {
      throw new AssertionError(
          "backlog of "
              + subscription
              + " on "
              + topic
              + " still "
              + (backlog[0] < 0 ? "unknown (subscription missing)" : backlog[0])
              + " after "
              + timeout,
          e);
    }
  }

  /** The subscription's backlog over every partition, or -1 while it is missing on one. */
  private static long backlog(PulsarAdmin admin, String topic, String subscription)
      throws PulsarAdminException {
    if (admin.topics().getPartitionedTopicMetadata(topic).partitions == 0) {
      var sub = admin.topics().getStats(topic).getSubscriptions().get(subscription);
      return sub == null ? -1 : sub.getMsgBacklog();
    }
    var stats = admin.topics().getPartitionedStats(topic, true);
    if (stats.getPartitions().isEmpty()) {
      return -1;
    }
    long backlog = 0;
    for (var p : stats.getPartitions().values()) {
      var sub = p.getSubscriptions().get(subscription);
      if (sub == null) {
        return -1;
      }
      backlog += sub.getMsgBacklog();
    }
    return backlog;
  }
}
