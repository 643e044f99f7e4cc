package io.sluice.internal.runtime;

import io.sluice.ConfigException;
import io.sluice.SourceException;
import io.sluice.internal.TakeOverLog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.ConsumerEventListener;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replica of a replicated app is active, decided by the broker: every standby holds a
 * consumer of priority 1 on the app's lease topic ({@code __sluice-lease-<app>}, no messages) in a
 * Failover subscription; the broker makes one of them active and tells each ({@link
 * ConsumerEventListener}). The one that stays active long enough adds a consumer of priority 0,
 * which then holds the subscription however many standbys join, until it closes or its connection
 * dies. An instance starts only once it holds the lease.
 *
 * <p>The lease is advisory: the broker may hand it over before the old holder hears of it (a pause,
 * a cut connection), and may hand it back to a paused holder whose connection returns. What keeps a
 * former holder from committing is the changelog's fence ({@code Changelog}), which the new holder
 * raises before it restores anything; the former holder fails with {@code OwnershipLostException}
 * at its next checkpoint.
 */
final class Lease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
  static final String SUBSCRIPTION = "sluice-lease";

  /**
   * How long a holder consumer must have been the active one, without being told otherwise, before
   * the replica acts: the broker reassigns a Failover subscription when consumers join and notifies
   * only after its failover delay ({@code activeConsumerFailoverDelayTimeMillis}, 1 s by default),
   * so two replicas joining together can both hear "active" first.
   */
  private static final Duration SETTLE = Duration.ofMillis(1500);

  private final String app;
  private final String instance;
  private final String topic;
  private final PulsarClient client;

  /** The standby's consumer (priority 1): it competes with the other standbys. */
  private volatile org.apache.pulsar.client.api.Consumer<byte[]> standby;

  /** The holder's consumer (priority 0), once active: standbys that join later never win it. */
  private volatile org.apache.pulsar.client.api.Consumer<byte[]> holder;

  private volatile long activeSince = -1; // nanoTime the standby consumer was last made active
  private volatile long holderActiveSince = -1; // nanoTime the holder consumer was made active
  private volatile long activeAtMillis; // the same two moments on the wall clock, for the log
  private volatile long holderActiveAtMillis;

  /** The holder stayed active for {@link #SETTLE}: this instance holds the lease. */
  private volatile boolean confirmed;

  private volatile boolean closed;

  private Lease(String app, String instance, String topic, PulsarClient client) {
    this.app = app;
    this.instance = instance;
    this.topic = topic;
    this.client = client;
  }

  /** The lease topic of {@code unit} (an app, or one shard of it) in {@code namespace}. */
  static String topicOf(String unit, String namespace) {
    return "persistent://" + namespace + "/__sluice-lease-" + unit;
  }

  /**
   * Joins the lease of {@code unit} (an app, or one shard of it) as {@code instance}, as a standby.
   */
  static Lease join(
      String unit, String instance, String namespace, PulsarClient client, PulsarAdmin admin) {
    String topic = topicOf(unit, namespace);
    try {
      admin.topics().createNonPartitionedTopic(topic);
    } catch (PulsarAdminException.ConflictException exists) {
      // another instance, or an earlier run, created it
    } catch (PulsarAdminException e) {
      throw new ConfigException(
          "Cannot create the lease topic " + topic + " of the replicated app " + unit + ": " + e,
          e);
    }
    Lease lease = new Lease(unit, instance, topic, client);
    lease.standby = lease.subscribe(1, lease.standbyListener());
    return lease;
  }

  private org.apache.pulsar.client.api.Consumer<byte[]> subscribe(
      int priority, ConsumerEventListener listener) {
    try {
      return client
          .newConsumer(Schema.BYTES)
          .topic(topic)
          .subscriptionName(SUBSCRIPTION)
          .subscriptionType(SubscriptionType.Failover)
          .consumerName(instance)
          .priorityLevel(priority)
          .receiverQueueSize(0)
          .consumerEventListener(listener)
          .subscribe();
    } catch (PulsarClientException e) {
      throw new SourceException(
          "Cannot join the lease "
              + topic
              + " of the replicated app "
              + app
              + " as instance "
              + instance
              + ": "
              + e,
          e);
    }
  }

  private ConsumerEventListener standbyListener() {
    return new ConsumerEventListener() {
      @Override
      public void becameActive(org.apache.pulsar.client.api.Consumer<?> c, int partitionId) {
        activeAtMillis = System.currentTimeMillis();
        activeSince = System.nanoTime();
      }

      @Override
      public void becameInactive(org.apache.pulsar.client.api.Consumer<?> c, int partitionId) {
        activeSince = -1;
      }
    };
  }

  private ConsumerEventListener holderListener() {
    return new ConsumerEventListener() {
      @Override
      public void becameActive(org.apache.pulsar.client.api.Consumer<?> c, int partitionId) {
        holderActiveAtMillis = System.currentTimeMillis();
        holderActiveSince = System.nanoTime();
      }

      @Override
      public void becameInactive(org.apache.pulsar.client.api.Consumer<?> c, int partitionId) {
        holderActiveSince = -1;
        if (confirmed && !closed) {
          // Not acted on: a replica that was paused and whose holder consumer reconnected can be
          // made active again by the broker although it lost the changelog. Only the changelog's
          // fence decides: a replica that truly took over fences this one, which then fails at its
          // next checkpoint.
          LOG.warn(
              "[{}] the broker made another replica of the app active; instance {} goes on until"
                  + " that replica takes the changelog over (then this one stops)",
              app,
              instance);
        }
      }
    };
  }

  /** Whether the standby consumer is the active one (the holder then settles, see below). */
  private boolean standbyActive() {
    return activeSince >= 0;
  }

  /**
   * Takes the lease: a holder consumer of a higher priority than every standby's, which a standby
   * joining later cannot take from it (the broker moves a Failover subscription only among the
   * consumers of the highest priority). It counts once the holder stayed active for {@link
   * #SETTLE}: two standbys told "active" in turn while replicas joined may both add a holder, and
   * the broker then keeps one. Returns false if this one was not kept within {@code timeout}; its
   * holder consumer is closed and it stands by again.
   */
  private boolean hold(Duration timeout) throws PulsarClientException, InterruptedException {
    holderActiveSince = -1; // not what an earlier holder consumer of this instance heard
    holder = subscribe(0, holderListener());
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      long since = holderActiveSince;
      if (since >= 0 && System.nanoTime() - since >= SETTLE.toNanos()) {
        confirmed = true;
        TakeOverLog.step(app, "standby-active", activeAtMillis);
        TakeOverLog.step(app, "holder-active", holderActiveAtMillis);
        TakeOverLog.step(app, "settled");
        standby.close(); // the holder has it; the standby consumer only competed
        LOG.info("[{}] instance {} is now the active replica", app, instance);
        return true;
      }
      Thread.sleep(100);
    }
    holder.close();
    holder = null;
    LOG.info("[{}] instance {} stands by again: the broker kept another holder", app, instance);
    return false;
  }

  /**
   * Blocks until this instance holds one of {@code leases} (those of an app's shards), logging
   * every {@code every} while it stands by, and leaves the others; returns the index of the one it
   * holds, or -1 if {@code stopped} was set meanwhile. It holds a lease once its standby consumer
   * was made active and then its holder consumer stayed active for {@link #SETTLE}.
   */
  static int awaitAny(List<Lease> leases, Duration every, BooleanSupplier stopped) {
    long since = System.nanoTime();
    long lastLog = since;
    Lease first = leases.get(0);
    LOG.info(
        "[{}] instance {} joined the replicas of the app ({} lease(s)); waiting to become active",
        first.app,
        first.instance,
        leases.size());
    try {
      while (!stopped.getAsBoolean()) {
        for (int i = 0; i < leases.size(); i++) {
          Lease lease = leases.get(i);
          if (lease.standbyActive() && lease.hold(SETTLE.multipliedBy(4))) {
            for (Lease other : leases) {
              if (other != lease) {
                other.close();
              }
            }
            return i;
          }
        }
        long now = System.nanoTime();
        if (now - lastLog >= every.toNanos()) {
          lastLog = now;
          LOG.info(
              "[{}] instance {} stands by ({} s): other replicas are active",
              first.app,
              first.instance,
              TimeUnit.NANOSECONDS.toSeconds(now - since));
        }
        Thread.sleep(100);
      }
      return -1;
    } catch (PulsarClientException e) {
      throw new SourceException("Taking a lease of app " + first.app + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Leaves the lease: another replica becomes active about a second later. */
  @Override
  public void close() {
    closed = true;
    for (var c : new org.apache.pulsar.client.api.Consumer<?>[] {holder, standby}) {
      if (c != null) {
        try {
          c.close();
        } catch (PulsarClientException e) {
          LOG.warn("[{}] leaving the lease {}: {}", app, topic, e.toString());
        }
      }
    }
  }
}
