package io.sluice.sink.pulsar.internal;

import io.sluice.errors.ConfigException;
import io.sluice.errors.SinkException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable list, kept in Pulsar, of the transactions a Pulsar sink opened and has not yet ended,
 * so recovery can abort them even when the local state directory (which lists them too) was lost.
 *
 * <p>A transaction id is appended before the first message is sent in the transaction, and the
 * entry is acknowledged on the journal's subscription once the transaction is committed or aborted:
 * the subscription's backlog is exactly the set of transactions that may still be open. The broker
 * deletes acknowledged entries, so the journal stays small.
 *
 * <p>The journal's subscription is exclusive and held for the life of the app, so a second running
 * instance of the same app cannot read it and abort the first instance's live transactions.
 *
 * <p>Topic: {@code <sink topic's namespace>/__sluice-txns-<app>-<hash of the sink name>}; topics
 * named {@code __sluice-*} are never read by {@code PulsarSource} patterns.
 */
public final class TransactionJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionJournal.class);

  /** Prefix of every journal topic's local name; sources skip such topics. */
  public static final String TOPIC_PREFIX = "__sluice-";

  private static final String SUBSCRIPTION = "sluice-journal";

  /** How long a replicated app waits for a former replica's hold on the journal to end. */
  private static final Duration REPLICA_WAIT = Duration.ofSeconds(150);

  private final PulsarClient client;
  private final String topic;
  private final String sink;
  private final Map<TxnID, MessageId> entries = new ConcurrentHashMap<>();
  private final boolean replicated;
  // Written under the monitor; read without it by ended(), which runs on client callback threads
  // (they must never wait for the monitor: close() waits for those threads).
  private volatile Producer<byte[]> producer;
  private volatile Consumer<byte[]> consumer;

  /**
   * @param replicated whether other replicas of the app may run: the journal's subscription may
   *     then still be held by a replica that was paused, until the broker drops its connection
   */
  public TransactionJournal(
      PulsarClient client, String sinkTopic, String app, String sink, boolean replicated) {
    this.replicated = replicated;
    this.client = client;
    this.sink = sink;
    this.topic = topicFor(sinkTopic, app, sink);
  }

  /** The journal topic of the sink {@code sink} of app {@code app} writing to {@code sinkTopic}. */
  public static String topicFor(String sinkTopic, String app, String sink) {
    String namespace = TopicName.get(sinkTopic).getNamespace();
    String hash = String.format("%08x", sink.hashCode());
    return "persistent://"
        + namespace
        + "/"
        + TOPIC_PREFIX
        + "txns-"
        + app.replaceAll("[^A-Za-z0-9_.-]", "_")
        + "-"
        + hash;
  }

  public String topic() {
    return topic;
  }

  /**
   * Takes the journal's exclusive subscription and returns every transaction an earlier run
   * recorded and did not end. Called once, at recovery, before this run opens a transaction.
   *
   * <p>The scan appends a marker entry and reads the subscription up to it: everything not yet
   * acknowledged comes before the marker, so the scan ends exactly there, with no timeout guess.
   */
  public synchronized List<TxnID> unended() {
    List<TxnID> out = new ArrayList<>();
    try {
      if (consumer == null) {
        consumer = subscribe();
      }
      byte[] marker = ("scan " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
      appendMarker(marker);
      while (true) {
        Message<byte[]> m = consumer.receive(60, TimeUnit.SECONDS);
        if (m == null) {
          throw new SinkException(
              "Sink "
                  + sink
                  + ": the scan of the transaction journal "
                  + topic
                  + " did not reach its own marker within 60 s");
        }
        byte[] value = m.getValue();
        if (value.length == TxnIds.LENGTH) {
          TxnID id = TxnIds.fromBytes(value);
          entries.put(id, m.getMessageId());
          out.add(id);
        } else {
          consumer.acknowledge(m); // a scan marker, this one's or one of a scan that crashed
          if (Arrays.equals(value, marker)) {
            return out;
          }
        }
      }
    } catch (PulsarClientException.ConsumerBusyException e) {
      closeConsumer();
      throw new SinkException(
          "Sink "
              + sink
              + ": the transaction journal "
              + topic
              + " is held by another running instance of this app. Run one instance per app"
              + " name.",
          e);
    } catch (PulsarClientException e) {
      closeConsumer();
      if (e instanceof PulsarClientException.AuthorizationException
          || e instanceof PulsarClientException.AuthenticationException) {
        throw new ConfigException(
            "Sink " + sink + ": Pulsar refused reading the transaction journal " + topic, e);
      }
      throw new SinkException(
          "Sink "
              + sink
              + ": cannot read the transaction journal "
              + topic
              + " ("
              + e
              + "). The app needs to create and read this topic: allow topic auto-creation in"
              + " the namespace or create it.",
          e);
    } catch (RuntimeException e) {
      closeConsumer();
      throw e;
    }
  }

  /**
   * Takes the journal's exclusive subscription. In a replicated app a replica that lost the app
   * while paused may still hold it until the broker's keepalive drops its connection (up to twice
   * {@code keepAliveIntervalSeconds}); that is waited for, up to {@link #REPLICA_WAIT}.
   */
  private Consumer<byte[]> subscribe() throws PulsarClientException {
    long deadline = System.nanoTime() + REPLICA_WAIT.toNanos();
    while (true) {
      try {
        return client
            .newConsumer(Schema.BYTES)
            .topic(topic)
            .subscriptionName(SUBSCRIPTION)
            .subscriptionType(SubscriptionType.Exclusive)
            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
            .receiverQueueSize(100)
            .subscribe();
      } catch (PulsarClientException.ConsumerBusyException e) {
        if (!replicated || System.nanoTime() > deadline) {
          throw e;
        }
        LOG.info(
            "sink {}: the transaction journal {} is still held by the replica that was active"
                + " before; waiting for the broker to drop it",
            sink,
            topic);
        try {
          Thread.sleep(1000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /**
   * Appends the scan's marker, waiting at most 60 s: the producer never gives up on a send by
   * itself, and a broker that went away during start-up would otherwise hang it.
   */
  private void appendMarker(byte[] marker) throws PulsarClientException {
    try {
      producer().sendAsync(marker).get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw PulsarClientException.unwrap(e.getCause());
    } catch (TimeoutException e) {
      throw new SinkException(
          "Sink "
              + sink
              + ": appending to the transaction journal "
              + topic
              + " did not complete within 60 s; is the broker reachable?",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Sink " + sink + ": interrupted scanning the journal " + topic, e);
    }
  }

  private void closeConsumer() {
    if (consumer != null) {
      consumer.closeAsync();
      consumer = null;
    }
  }

  /** Appends {@code id}; the future completes once the broker stored the entry. */
  public CompletableFuture<Void> record(TxnID id) {
    Producer<byte[]> p;
    try {
      p = producer();
    } catch (PulsarClientException e) {
      return CompletableFuture.failedFuture(
          new SinkException(
              "Sink " + sink + ": cannot write the transaction journal " + topic + ": " + e, e));
    }
    return p.sendAsync(TxnIds.toBytes(id))
        .thenAccept(
            messageId -> {
              entries.put(id, messageId);
            });
  }

  /** {@code id} was committed or aborted: its entry leaves the journal (best effort). */
  public void ended(TxnID id) {
    MessageId entry = entries.remove(id);
    Consumer<byte[]> c = consumer;
    if (entry != null && c != null) {
      c.acknowledgeAsync(entry)
          .exceptionally(
              t -> {
                // the entry stays: the next recovery aborts the ended transaction again, harmlessly
                LOG.debug("sink {}: journal acknowledgement failed: {}", sink, t.toString());
                return null;
              });
    }
  }

  private synchronized Producer<byte[]> producer() throws PulsarClientException {
    if (producer == null) {
      producer =
          client
              .newProducer(Schema.BYTES)
              .topic(topic)
              .enableBatching(false)
              .sendTimeout(0, TimeUnit.SECONDS)
              .create();
    }
    return producer;
  }

  /** Closes the producer and consumer without waiting on the client's threads (bounded). */
  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    synchronized (this) {
      if (producer != null) {
        closing.add(producer.closeAsync());
      }
      if (consumer != null) {
        closing.add(consumer.closeAsync());
      }
      producer = null;
      consumer = null;
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("sink {}: closing the journal: {}", sink, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
