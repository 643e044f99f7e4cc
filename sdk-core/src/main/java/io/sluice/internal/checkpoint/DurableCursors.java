package io.sluice.internal.checkpoint;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.SourceException;
import io.sluice.internal.MessageIds;
import io.sluice.metrics.Metric;
import io.sluice.state.RecoveryLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The second recovery layer: one idle consumer per partition on the app's durable subscription
 * (receiver queue 0, it never receives), whose cumulative acknowledgement moves the partition's
 * durable cursor to the last checkpointed position after the checkpoint's sinks are committed. The
 * binary protocol does it; there is no admin call per partition per checkpoint. The cursor also
 * keeps the broker from deleting what has not been processed yet.
 *
 * <p>Thread ownership: {@link #subscribe} and {@link #forget} run on the thread starting a
 * partition (start-up, discovery), {@link #advanceCursors} on the commit thread; the map is
 * concurrent and each partition's state is written by one of them at a time.
 */
public final class DurableCursors implements CursorCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(DurableCursors.class);

  /** One partition's cursor consumer and what it last acknowledged. */
  private static final class Cursor {
    final String topic;
    final String subscription;
    volatile org.apache.pulsar.client.api.Consumer<byte[]> consumer;

    /** The consumer was closed to be renewed, and its renewal failed. */
    volatile boolean lost;

    volatile MessageId lastAcked;

    /** When {@link #lastAcked} was acknowledged (epoch millis). */
    volatile long lastAckedAt;

    Cursor(String topic, String subscription) {
      this.topic = topic;
      this.subscription = subscription;
    }
  }

  private final String app;
  private final PulsarClient client;
  private final Consumer<Throwable> onFailure;
  private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
  private final Counter ackFailures;
  private final Counter renewals;
  private final SubscriptionType type;

  /** Set when the app stops: acknowledgements still go (the final checkpoint), renewals do not. */
  private volatile boolean stopping;

  /**
   * @param shared whether the app's replicas share the subscription (Failover, each replica holds a
   *     consumer; otherwise Exclusive, so a second instance is refused)
   */
  public DurableCursors(
      String app,
      PulsarClient client,
      MeterRegistry meters,
      Consumer<Throwable> onFailure,
      boolean shared) {
    this.app = app;
    this.type = shared ? SubscriptionType.Failover : SubscriptionType.Exclusive;
    this.client = client;
    this.onFailure = onFailure;
    this.ackFailures = Metric.CURSOR_COMMIT_FAILURES.counter(meters, app);
    this.renewals = Metric.CURSOR_RENEWALS.counter(meters, app);
  }

  /**
   * Subscribes the partition's cursor consumer and, for a new subscription started at a message id
   * or a time, moves the cursor to that start (see {@link #placeNewCursor}).
   */
  public CompletableFuture<Void> subscribe(
      String topic, String subscription, PartitionStart start) {
    Cursor cursor = new Cursor(topic, subscription);
    cursors.put(topic, cursor);
    SubscriptionInitialPosition initial =
        start.id() == MessageId.latest
            ? SubscriptionInitialPosition.Latest
            : SubscriptionInitialPosition.Earliest;
    return subscribeConsumer(cursor, initial)
        .thenCompose(c -> placeNewCursor(c, start).thenApply(v -> c))
        .thenAccept(
            c -> {
              cursor.consumer = c;
              if (cursors.get(topic) != cursor) {
                c.closeAsync(); // forgotten meanwhile
              }
            });
  }

  /** Closes and forgets a partition's cursor consumer (a start that failed). */
  public void forget(String topic) {
    Cursor cursor = cursors.remove(topic);
    if (cursor != null && cursor.consumer != null) {
      cursor.consumer.closeAsync();
    }
  }

  /** The app is stopping: the final checkpoint still advances the cursors, nothing is renewed. */
  public void stopping() {
    stopping = true;
  }

  /**
   * A partition read from the source's configured start at a message id or a time has no durable
   * cursor yet (else it would start from that cursor): the subscription was just created at the
   * earliest message. It is moved to the start, so that if the app stops before its first
   * checkpoint, the next start resumes there and not from the topic's first message.
   */
  private static CompletableFuture<Void> placeNewCursor(
      org.apache.pulsar.client.api.Consumer<byte[]> consumer, PartitionStart start) {
    if (start.layer() != RecoveryLayer.START_POSITION
        || start.id() == MessageId.earliest
        || start.id() == MessageId.latest) {
      return CompletableFuture.completedFuture(null);
    }
    if (!start.inclusive()) {
      return consumer.acknowledgeCumulativeAsync(MessageIds.detached(start.id()));
    }
    // Inclusive: to the entry before the start's (a cumulative acknowledgement only ever moves a
    // cursor forward, unlike a seek). A start at a ledger's first entry stays where it is.
    if (!(start.id() instanceof MessageIdAdv adv) || adv.getEntryId() <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    return consumer.acknowledgeCumulativeAsync(
        MessageIds.atEntry(adv.getLedgerId(), adv.getEntryId() - 1, adv.getPartitionIndex()));
  }

  /** The idle consumer holding a partition's durable cursor (it never receives). */
  private CompletableFuture<org.apache.pulsar.client.api.Consumer<byte[]>> subscribeConsumer(
      Cursor cursor, SubscriptionInitialPosition initial) {
    return client
        .newConsumer(Schema.BYTES)
        .topic(cursor.topic)
        .subscriptionName(cursor.subscription)
        .subscriptionType(type)
        .subscriptionInitialPosition(initial)
        .receiverQueueSize(0)
        .consumerName(app + "-cursor")
        .subscribeAsync();
  }

  /**
   * Advances every partition's durable cursor to its checkpointed position (asynchronously, on the
   * binary protocol). A failure is counted and superseded by the next checkpoint. A partition whose
   * position has not moved since its last acknowledgement is acknowledged again only if the
   * cursor's connection closed since then (see {@link #renew}).
   */
  @Override
  public void advanceCursors(Map<String, MessageId> positions) {
    for (Map.Entry<String, MessageId> e : positions.entrySet()) {
      Cursor cursor = cursors.get(e.getKey());
      if (cursor == null) {
        continue;
      }
      MessageId id = e.getValue();
      var consumer = cursor.consumer;
      if (consumer == null) {
        if (cursor.lost && !stopping) {
          renew(cursor, null, id);
        }
        continue;
      }
      if (!id.equals(cursor.lastAcked)) {
        acknowledge(cursor, consumer, id);
      } else if (!stopping
          && consumer.isConnected() // not while it reconnects: the broker may still hold it
          && consumer.getLastDisconnectedTimestamp() >= cursor.lastAckedAt) {
        renew(cursor, consumer, id);
      }
    }
  }

  private CompletableFuture<Void> acknowledge(
      Cursor cursor, org.apache.pulsar.client.api.Consumer<byte[]> consumer, MessageId id) {
    long at = System.currentTimeMillis();
    return consumer
        .acknowledgeCumulativeAsync(MessageIds.detached(id))
        .whenComplete(
            (ok, t) -> {
              if (t == null) {
                cursor.lastAcked = id;
                cursor.lastAckedAt = at;
              } else {
                ackFailures.increment();
                LOG.warn(
                    "[{}] advancing the durable cursor of {} failed: {}",
                    app,
                    cursor.topic,
                    t.toString());
              }
            });
  }

  /**
   * The cursor's connection closed after its last acknowledgement, and the partition has had
   * nothing new since: the broker may not have stored that acknowledgement (e.g. it crashed before
   * writing the cursor), and the client drops a cumulative acknowledgement that is not past its
   * last one, so the cursor would stay behind until the partition gets new records. A fresh
   * consumer on the subscription acknowledges the position again. Until it is in place the
   * partition's cursor is left alone; a failed attempt is tried again at the next checkpoint.
   */
  private void renew(
      Cursor cursor, org.apache.pulsar.client.api.Consumer<byte[]> stale, MessageId id) {
    renewals.increment();
    cursor.consumer = null;
    cursor.lost = false;
    cursor.lastAcked = null; // if the fresh consumer's acknowledgement fails, the next one goes
    // whether the broker confirmed the close (else it may still hold the stale consumer)
    CompletableFuture<Boolean> closedStale =
        stale == null
            ? CompletableFuture.completedFuture(true)
            : stale.closeAsync().handle((v, t) -> t == null);
    boolean[] confirmed = {false};
    closedStale
        .thenCompose(
            ok -> {
              confirmed[0] = ok;
              return subscribeConsumer(cursor, SubscriptionInitialPosition.Earliest);
            })
        .thenCompose(
            fresh -> {
              if (stopping) {
                return fresh.closeAsync();
              }
              cursor.consumer = fresh;
              return acknowledge(cursor, fresh, id);
            })
        .whenComplete((ok, t) -> afterRenewal(cursor, id, confirmed[0], t));
  }

  private void afterRenewal(Cursor cursor, MessageId id, boolean staleClosed, Throwable t) {
    Throwable cause = t instanceof CompletionException ? t.getCause() : t;
    if (cause instanceof PulsarClientException.ConsumerBusyException && staleClosed && !stopping) {
      // our consumer was closed first, so this is another one: two instances of the app
      onFailure.accept(
          new SourceException(
              "Another consumer took the durable subscription "
                  + cursor.subscription
                  + " of "
                  + cursor.topic
                  + " while its consumer was renewed: is a second instance of the app running"
                  + " with the same subscription?",
              cause));
    } else if (t != null && cursor.consumer == null) {
      cursor.lost = true;
      ackFailures.increment();
      LOG.warn(
          "[{}] renewing the durable cursor's consumer of {} failed (retried at the next"
              + " checkpoint): {}",
          app,
          cursor.topic,
          t.toString());
    } else if (t == null && !stopping) {
      LOG.info(
          "[{}] acknowledged the durable cursor of {} again at {}: its connection had closed"
              + " since the last acknowledgement",
          app,
          cursor.topic,
          id);
    }
  }

  /** Closes the cursor consumers (pending acknowledgements are flushed first). */
  public void close() {
    stopping = true;
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Cursor cursor : cursors.values()) {
      if (cursor.consumer != null) {
        closing.add(cursor.consumer.closeAsync());
      }
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("[{}] closing the durable cursors: {}", app, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
