package io.sluice.internal.source;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.BatchReceivePolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessagePayload;
import org.apache.pulsar.client.api.MessagePayloadContext;
import org.apache.pulsar.client.api.MessagePayloadProcessor;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionMode;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.impl.ConsumerImpl;
import org.apache.pulsar.client.impl.MessageImpl;
import org.apache.pulsar.client.impl.PulsarClientImpl;
import org.apache.pulsar.client.impl.conf.ConsumerConfigurationData;
import org.apache.pulsar.common.naming.TopicName;

/**
 * A reader of one partition that receives whole entries: each stored entry (a producer's batch)
 * comes out of the client as one message, which {@link EntrySplitter} splits into records.
 *
 * <p>A plain Reader has the client split every batch on its I/O thread, build a message object per
 * record, hand each to the internal executor and queue it one by one: measured here, that is most
 * of a drain's client CPU (see benchmarks/README.md). This is the Reader's own consumer (the same
 * non-durable subscription, start id, start inclusiveness and reconnection, which resumes after the
 * last entry taken) with a {@link MessagePayloadProcessor} that passes each entry on whole.
 *
 * <p>Flow control stays per message, as the receiver queue size says: the client returns one permit
 * when an entry is taken; {@link #taken} returns the rest once the entry was split.
 */
final class EntryReader extends ConsumerImpl<byte[]> {
  private static final BatchReceivePolicy NO_BATCH_RECEIVE =
      BatchReceivePolicy.builder().timeout(0, TimeUnit.MILLISECONDS).maxNumMessages(1).build();

  /**
   * Hands each entry over whole (the client has already decompressed it). The ack set a broker may
   * send with an entry (batch indexes acknowledged one by one on the subscription) is not applied:
   * this subscription is only ever acknowledged cumulatively, by whole entries, so it has none.
   */
  private static final MessagePayloadProcessor WHOLE_ENTRIES =
      new MessagePayloadProcessor() {
        @Override
        public <T> void process(
            MessagePayload payload,
            MessagePayloadContext context,
            Schema<T> schema,
            Consumer<Message<T>> messageConsumer) {
          messageConsumer.accept(context.asSingleMessage(payload, schema));
        }
      };

  private EntryReader(
      PulsarClientImpl client,
      String topic,
      ConsumerConfigurationData<byte[]> conf,
      CompletableFuture<org.apache.pulsar.client.api.Consumer<byte[]>> subscribed,
      MessageId start) {
    super(
        client,
        topic,
        conf,
        client.externalExecutorProvider(),
        TopicName.getPartitionIndex(topic),
        false,
        false,
        subscribed,
        start,
        0,
        Schema.BYTES,
        null,
        true);
  }

  /** Subscribes a reader of {@code topic} (one partition) from {@code start}. */
  static CompletableFuture<EntryReader> create(
      PulsarClient client,
      String topic,
      MessageId start,
      boolean inclusive,
      int receiverQueueSize,
      String readerName) {
    ConsumerConfigurationData<byte[]> conf = new ConsumerConfigurationData<>();
    conf.getTopicNames().add(topic);
    conf.setSubscriptionName(
        "reader-" + UUID.randomUUID().toString().replace("-", "").substring(0, 10));
    conf.setSubscriptionType(SubscriptionType.Exclusive);
    conf.setSubscriptionMode(SubscriptionMode.NonDurable);
    conf.setReceiverQueueSize(receiverQueueSize);
    conf.setBatchReceivePolicy(NO_BATCH_RECEIVE);
    conf.setConsumerName(readerName);
    conf.setResetIncludeHead(inclusive);
    conf.setPayloadProcessor(WHOLE_ENTRIES);
    CompletableFuture<org.apache.pulsar.client.api.Consumer<byte[]>> subscribed =
        new CompletableFuture<>();
    EntryReader reader = new EntryReader((PulsarClientImpl) client, topic, conf, subscribed, start);
    return subscribed.thenApply(c -> reader);
  }

  /**
   * Returns the permits of an entry's other {@code records - 1} records (the client returned one
   * when the entry was taken), unless the entry came over a connection since replaced (whose
   * permits the reconnection reset).
   */
  void taken(Message<byte[]> entry, int records) {
    if (records > 1 && ((MessageImpl<byte[]>) entry).getCnx() == getClientCnx()) {
      increaseAvailablePermits(records - 1);
    }
  }
}
