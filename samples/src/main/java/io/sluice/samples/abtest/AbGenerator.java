package io.sluice.samples.abtest;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;

/**
 * Sends the {@link AbLayout}'s events to the exposure, click and order topics at a given rate (each
 * message's event time is the event's), then an end mark on every partition.
 */
final class AbGenerator implements Runnable {
  private final AbLayout layout;
  private final PulsarClient client;
  private final Map<String, String> topics;
  private final int partitions;
  private final int rate;
  private final AtomicBoolean stop;
  private final AtomicLong sent = new AtomicLong();
  private volatile boolean done;
  private volatile Throwable failure;

  AbGenerator(
      AbLayout layout,
      PulsarClient client,
      Map<String, String> topics,
      int partitions,
      int rate,
      AtomicBoolean stop) {
    this.layout = layout;
    this.client = client;
    this.topics = topics;
    this.partitions = partitions;
    this.rate = rate;
    this.stop = stop;
  }

  long sent() {
    return sent.get();
  }

  boolean done() {
    return done;
  }

  Throwable failure() {
    return failure;
  }

  @Override
  public void run() {
    Map<String, Producer<byte[]>> producers = new HashMap<>();
    try {
      for (Map.Entry<String, String> t : topics.entrySet()) {
        producers.put(
            t.getKey(),
            client
                .newProducer(Schema.BYTES)
                .topic(t.getValue())
                .blockIfQueueFull(true)
                .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
                .create());
      }
      List<AbLayout.Timed> events = layout.events();
      long started = System.nanoTime();
      for (AbLayout.Timed t : events) {
        if (stop.get()) {
          return;
        }
        producers
            .get(t.topic())
            .newMessage()
            .key(t.event().user)
            .eventTime(t.event().ts)
            .value(t.event().toJson().getBytes(StandardCharsets.UTF_8))
            .sendAsync();
        if (sent.incrementAndGet() % 100 == 0) {
          long wait = started + (long) (sent.get() * 1e9 / rate) - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
      }
      for (Producer<byte[]> p : producers.values()) {
        p.flush();
      }
      sendEndMarks();
      done = true;
    } catch (Throwable e) {
      failure = e;
    } finally {
      producers.values().forEach(Producer::closeAsync);
    }
  }

  /** One end mark per partition: each partition's watermark must pass the last window. */
  private void sendEndMarks() throws Exception {
    AbEvent end = new AbEvent("end", "-", "-", "-", layout.endMarkTime(), 0);
    for (String topic : topics.values()) {
      for (int p = 0; p < partitions; p++) {
        try (Producer<byte[]> producer =
            client.newProducer(Schema.BYTES).topic(topic + "-partition-" + p).create()) {
          producer
              .newMessage()
              .eventTime(end.ts)
              .value(end.toJson().getBytes(StandardCharsets.UTF_8))
              .send();
        }
      }
    }
  }
}
