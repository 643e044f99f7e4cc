package io.sluice.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.ConsumerEventListener;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionType;

/** One app instance: its own client and one failover consumer per partition. */
final class Inst implements AutoCloseable {
  final String name;
  final PulsarClient client;
  final Map<String, Consumer<byte[]>> consumers = new ConcurrentHashMap<>();
  final Map<String, Boolean> active = new ConcurrentHashMap<>();
  final ConcurrentLinkedQueue<FailoverProbe.Event> events;

  Inst(String serviceUrl, String name, ConcurrentLinkedQueue<FailoverProbe.Event> events)
      throws Exception {
    this.name = name;
    this.events = events;
    this.client = PulsarClient.builder().serviceUrl(serviceUrl).build();
  }

  /** Subscribes to one partition topic; {@code key} names it in the state map. */
  Consumer<byte[]> subscribe(String topic, String sub, int partition, int priority)
      throws Exception {
    String key = topic + "#" + partition;
    active.put(key, false);
    Consumer<byte[]> c =
        client
            .newConsumer(Schema.BYTES)
            .topic("persistent://public/default/" + topic + "-partition-" + partition)
            .subscriptionName(sub)
            .subscriptionType(SubscriptionType.Failover)
            .consumerName(name)
            .receiverQueueSize(0)
            .priorityLevel(priority)
            .consumerEventListener(listener(key, partition))
            .subscribe();
    consumers.put(key, c);
    return c;
  }

  private ConsumerEventListener listener(String key, int partition) {
    return new ConsumerEventListener() {
      @Override
      public void becameActive(Consumer<?> consumer, int partitionId) {
        active.put(key, true);
        events.add(new FailoverProbe.Event(FailoverProbe.nowMs(), name, partition, true));
      }

      @Override
      public void becameInactive(Consumer<?> consumer, int partitionId) {
        active.put(key, false);
        events.add(new FailoverProbe.Event(FailoverProbe.nowMs(), name, partition, false));
      }
    };
  }

  void closeConsumer(String topic, int partition) throws Exception {
    String key = topic + "#" + partition;
    consumers.remove(key).close();
    active.remove(key);
  }

  boolean isActive(String topic, int partition) {
    return active.getOrDefault(topic + "#" + partition, false);
  }

  @Override
  public void close() throws Exception {
    client.close();
  }
}
