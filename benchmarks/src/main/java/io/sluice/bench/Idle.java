package io.sluice.bench;

import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.ConsumerEventListener;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.transaction.Transaction;

/** A failover consumer of the fencing probe that never receives; tracks whether it is active. */
/** An idle failover consumer that remembers whether its listener last heard "active". */
final class Idle implements AutoCloseable {
  final Consumer<byte[]> consumer;
  volatile boolean active;

  Idle(PulsarClient client, String topic, String sub, String name) throws Exception {
    consumer =
        client
            .newConsumer(Schema.BYTES)
            .topic(topic)
            .subscriptionName(sub)
            .subscriptionType(SubscriptionType.Failover)
            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
            .consumerName(name)
            .receiverQueueSize(0)
            .isAckReceiptEnabled(true)
            .consumerEventListener(
                new ConsumerEventListener() {
                  @Override
                  public void becameActive(Consumer<?> c, int partitionId) {
                    active = true;
                  }

                  @Override
                  public void becameInactive(Consumer<?> c, int partitionId) {
                    active = false;
                  }
                })
            .subscribe();
  }

  CompletableFuture<Void> ack(MessageId id, Transaction txn) {
    return txn == null
        ? consumer.acknowledgeCumulativeAsync(id)
        : consumer.acknowledgeCumulativeAsync(id, txn);
  }

  @Override
  public void close() throws Exception {
    consumer.close();
  }
}
