package io.sluice.it;

import static io.sluice.it.PulsarFixture.admin;
import static io.sluice.it.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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

/**
 * The client behaviours the checkpoint and cursor layers rely on, for positions inside a batch: a
 * reader started after a restored mid-batch id continues with the next message of that batch, and a
 * cumulative ack of a mid-batch id never moves the durable cursor past unprocessed messages.
 */
class BatchPositionIT {
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
      String markDelete =
          admin().topics().getInternalStats(topic).cursors.get("cp").markDeletePosition;
      System.out.println("batch id " + last + " acked -> markDelete " + markDelete);
      // resuming from the cursor must not skip m40..m99
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
      assertThat(rest).contains("m40", "m99");
    }
  }
}
