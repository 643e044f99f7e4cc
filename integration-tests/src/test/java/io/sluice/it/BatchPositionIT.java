package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client behaviours the checkpoint and cursor layers rely on, for positions inside a batch: a
 * reader started after a restored mid-batch id continues with the next message of that batch, and a
 * cumulative ack of a mid-batch id never moves the durable cursor past unprocessed messages; and a
 * running job keeps its durable cursor behind a checkpoint that ends inside a batch.
 */
class BatchPositionIT {
  @TempDir Path stateDir;

  /**
   * One entry of 1,000 messages. The message ids of one batch share the client's record of which of
   * them are acknowledged, and the fetcher acknowledges what it read on the reader's cursor. A
   * checkpoint whose position lies inside the entry, completed after the fetcher had read (and
   * acknowledged) the whole entry, must still leave the durable cursor before the entry: were the
   * cursor acknowledged with the id the fetcher received, the whole entry would count as done and a
   * recovery from the cursor would skip the rest of it.
   *
   * <p>The order is forced: the decoder (on the fetcher thread) holds message 700 back and the
   * processing thread holds at message 600, so the next barrier falls just before 700; then the
   * fetcher reads to the end of the entry, and only then does processing reach the barrier. It
   * holds again at 800, so no later checkpoint moves the cursor legitimately past the entry.
   */
  @Test
  void shouldKeepTheDurableCursorBehindACheckpointInsideABatch() throws Exception {
    String topic = uniqueTopic("batchcursor");
    admin().topics().createNonPartitionedTopic(topic);
    try (Producer<String> producer =
        PulsarFixture.client()
            .newProducer(Schema.STRING)
            .topic(topic)
            .batchingMaxPublishDelay(10, TimeUnit.SECONDS)
            .batchingMaxMessages(1000)
            .batchingMaxBytes(1 << 20)
            .create()) {
      for (int i = 0; i < 1000; i++) {
        producer.sendAsync("m" + i);
      }
      producer.flush();
    }
    assertThat(admin().topics().getInternalStats(topic).numberOfEntries)
        .as("the input is one batched entry")
        .isEqualTo(1);
    CountDownLatch at600 = new CountDownLatch(1);
    CountDownLatch go600 = new CountDownLatch(1);
    CountDownLatch go700 = new CountDownLatch(1);
    CountDownLatch at800 = new CountDownLatch(1);
    CountDownLatch go800 = new CountDownLatch(1);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
        Sluice.builder()
            .name("batch-cursor-app")
            .pulsar(PulsarFixture.broker().serviceUrl(), PulsarFixture.broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(100))
            .meterRegistry(meters)
            .build()) {
      RecordDecoder<Integer> index =
          r -> {
            int i = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring(1));
            if (i == 700) {
              go700.await();
            }
            return i;
          };
      app.stream(PulsarSource.topics(topic).subscription("batch-cursor"), index)
          .forEach(
              i -> {
                try {
                  if (i == 600) {
                    at600.countDown();
                    go600.await();
                  } else if (i == 800) {
                    at800.countDown();
                    go800.await();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      app.start();
      try {
        assertThat(at600.await(60, TimeUnit.SECONDS)).isTrue();
        long before = app.lastCompletedCheckpoint();
        // a barrier is published while the fetcher holds 700 back: it lies before 700
        Thread.sleep(1000);
        Gauge occupancy = meters.get("sluice.pipeline.ring.occupancy").gauge();
        double held = occupancy.value();
        go700.countDown();
        // the fetcher reads the rest of the entry (700..999) and acknowledges it on the reader's
        // cursor right after publishing it
        Await.until(
            "the whole entry in the ring",
            Duration.ofSeconds(30),
            () -> occupancy.value() >= held + 300);
        Thread.sleep(200);
        go600.countDown();
        assertThat(at800.await(60, TimeUnit.SECONDS)).isTrue();
        Await.until(
            "the checkpoint inside the entry",
            Duration.ofSeconds(30),
            () -> app.lastCompletedCheckpoint() > before);
        // its cursor acknowledgement is sent after the checkpoint completes
        Thread.sleep(1500);
        var stats = admin().topics().getInternalStats(topic);
        String markDelete = stats.cursors.get("batch-cursor").markDeletePosition;
        String entry = stats.lastConfirmedEntry;
        assertThat(entryOf(markDelete))
            .as("durable cursor %s, the entry %s holds unprocessed messages", markDelete, entry)
            .isLessThan(entryOf(entry));
        assertThat(readAfterCursor(topic, "batch-cursor")).contains("m700", "m999");
      } finally {
        go700.countDown();
        go600.countDown();
        go800.countDown();
      }
    }
  }

  private static long entryOf(String position) {
    return Long.parseLong(position.split(":")[1]);
  }

  /** What a recovery from the durable cursor would read now: everything after markDelete. */
  private static List<String> readAfterCursor(String topic, String subscription) throws Exception {
    String markDelete =
        admin().topics().getInternalStats(topic).cursors.get(subscription).markDeletePosition;
    String[] lp = markDelete.split(":");
    MessageId fromCursor =
        org.apache.pulsar.client.internal.DefaultImplementation.getDefaultImplementation()
            .newMessageId(Long.parseLong(lp[0]), Long.parseLong(lp[1]), -1);
    List<String> rest = new ArrayList<>();
    try (Reader<String> afterCursor =
        PulsarFixture.client()
            .newReader(Schema.STRING)
            .topic(topic)
            .startMessageId(fromCursor)
            .create()) {
      while (afterCursor.hasMessageAvailable()) {
        rest.add(afterCursor.readNext(10, TimeUnit.SECONDS).getValue());
      }
    }
    System.out.println(
        "durable cursor at "
            + markDelete
            + " (last entry "
            + admin().topics().getInternalStats(topic).lastConfirmedEntry
            + "); "
            + rest.size()
            + " messages after");
    return rest;
  }

  @Test
  void shouldResumeInsideABatchAndNeverAckPastUnprocessedMessages() throws Exception {
    String topic = uniqueTopic("batchpos");
    admin().topics().createNonPartitionedTopic(topic);
    try (Consumer<String> cursor =
            PulsarFixture.client()
                .newConsumer(Schema.STRING)
                .topic(topic)
                .subscriptionName("cp")
                .subscriptionType(SubscriptionType.Exclusive)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                .receiverQueueSize(0)
                .subscribe();
        Producer<String> producer =
            PulsarFixture.client()
                .newProducer(Schema.STRING)
                .topic(topic)
                .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS)
                .batchingMaxMessages(1000)
                .create()) {
      for (int i = 0; i < 100; i++) {
        producer.sendAsync("m" + i);
      }
      producer.flush();

      List<Message<String>> first = new ArrayList<>();
      try (Reader<String> reader =
          PulsarFixture.client()
              .newReader(Schema.STRING)
              .topic(topic)
              .startMessageId(MessageId.earliest)
              .create()) {
        for (int i = 0; i < 40; i++) {
          first.add(reader.readNext(10, TimeUnit.SECONDS));
        }
      }
      MessageId last = first.get(39).getMessageId();
      MessageId restored = MessageId.fromByteArrayWithTopic(last.toByteArray(), topic);
      try (Reader<String> resumed =
          PulsarFixture.client()
              .newReader(Schema.STRING)
              .topic(topic)
              .startMessageId(restored)
              .create()) {
        assertThat(resumed.readNext(10, TimeUnit.SECONDS).getValue()).isEqualTo("m40");
      }

      cursor.acknowledgeCumulative(restored);
      Thread.sleep(500);
      // resuming from the cursor must not skip m40..m99
      List<String> rest = readAfterCursor(topic, "cp");
      assertThat(rest).contains("m40", "m99");
    }
  }
}
