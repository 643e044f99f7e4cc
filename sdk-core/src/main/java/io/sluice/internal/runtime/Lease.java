package io.sluice.internal.runtime;

import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.internal.TakeOverLog;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Consumer;
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
   * How long a holder consumer must have been the active one beyond the broker's failover delay
   * before the replica acts (see {@link #hold}): a standby's poll, a round trip and a margin for a
   * loaded host.
   */
  private static final Duration SETTLE_MARGIN = Duration.ofMillis(600);

  /** The broker's {@code activeConsumerFailoverDelayTimeMillis} when it cannot be read. */
  private static final long DEFAULT_FAILOVER_DELAY_MS = 1000;

  /** How often a standby looks at what its listener heard. */
  private static final Duration POLL = Duration.ofMillis(25);

  /** How often a settling holder reads the lease topic's stats. */
  private static final Duration STATS_POLL = Duration.ofMillis(100);

  private final String app;
  private final String instance;
  private final String topic;
  private final PulsarClient client;
  private final PulsarAdmin admin;

  /** How long a holder settles: the broker's failover delay and {@link #SETTLE_MARGIN}. */
  private final Duration settle;

  /**
   * The standby's consumer (priority 1 or lower, see {@link #standBy}): it competes with the other
   * standbys.
   */
  private volatile Consumer<byte[]> standby;

  /** The standby consumer's priority level; each new one counts up, so a stale word is ignored. */
  private volatile int standbyPriority;

  private volatile int standbyGeneration;

  /** The holder's consumer (priority 0), once active: standbys that join later never win it. */
  private volatile Consumer<byte[]> holder;

  private volatile long activeSince = -1; // nanoTime the standby consumer was last made active
  private volatile long holderActiveSince = -1; // nanoTime the holder consumer was made active
  private volatile long activeAtMillis; // the same moment on the wall clock, for the log

  /** The broker's last word to the holder consumer was "inactive". */
  private volatile boolean holderToldInactive;

  /** The holder settled ({@link #hold}): this instance holds the lease. */
  private volatile boolean confirmed;

  private volatile boolean closed;

  private Lease(
      String app,
      String instance,
      String topic,
      PulsarClient client,
      PulsarAdmin admin,
      Duration settle) {
    this.app = app;
    this.instance = instance;
    this.topic = topic;
    this.client = client;
    this.admin = admin;
    this.settle = settle;
  }

  /** The lease topic of {@code unit} (an app, or one shard of it) in {@code namespace}. */
  static String topicOf(String unit, String namespace) {
    return "persistent://" + namespace + "/__sluice-lease-" + unit;
  }

  /**
   * Joins the lease of {@code unit} (an app, or one shard of it) as {@code instance}, as a standby
   * of priority 1.
   */
  static Lease join(
      String unit, String instance, String namespace, PulsarClient client, PulsarAdmin admin) {
    return join(unit, instance, namespace, client, admin, 1);
  }

  /**
   * Joins the lease of {@code unit} as a standby of {@code priority} (1 or more; the broker makes a
   * standby of the lowest number active).
   */
  static Lease join(
      String unit,
      String instance,
      String namespace,
      PulsarClient client,
      PulsarAdmin admin,
      int priority) {
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
    Duration settle = Duration.ofMillis(failoverDelayMillis(unit, admin)).plus(SETTLE_MARGIN);
    Lease lease = new Lease(unit, instance, topic, client, admin, settle);
    lease.standBy(priority);
    return lease;
  }

  /**
   * Stands by at {@code priority} (1 or more) from now on: a new standby consumer replaces the one
   * of another priority, and what the broker told the old one no longer counts.
   */
  void standBy(int priority) {
    if (priority < 1) {
      throw new IllegalArgumentException("a standby's priority is 1 or more: " + priority);
    }
    var old = standby;
    if (old != null && priority == standbyPriority) {
      return;
    }
    int generation = ++standbyGeneration;
    activeSince = -1;
    standby = subscribe(priority, standbyListener(generation));
    standbyPriority = priority;
    if (old != null) {
      try {
        old.close();
      } catch (PulsarClientException e) {
        LOG.warn("[{}] replacing the standby consumer of {}: {}", app, topic, e.toString());
      }
    }
  }

  /** The unit this lease is of: an app, or one shard of it. */
  String unit() {
    return app;
  }

  /** The lease topic. */
  String topic() {
    return topic;
  }

  /**
   * The broker's {@code activeConsumerFailoverDelayTimeMillis}, or its default (1 s) when the
   * broker does not let this client read its configuration (a superuser's right).
   */
  private static long failoverDelayMillis(String unit, PulsarAdmin admin) {
    try {
      String value =
          admin.brokers().getRuntimeConfigurations().get("activeConsumerFailoverDelayTimeMillis");
      return value == null ? DEFAULT_FAILOVER_DELAY_MS : Math.max(0, Long.parseLong(value));
    } catch (PulsarAdminException | NumberFormatException e) {
      LOG.info(
          "[{}] cannot read the broker's activeConsumerFailoverDelayTimeMillis ({}); a lease"
              + " holder settles as if it were {} ms",
          unit,
          e.toString(),
          DEFAULT_FAILOVER_DELAY_MS);
      return DEFAULT_FAILOVER_DELAY_MS;
    }
  }

  private Consumer<byte[]> subscribe(int priority, ConsumerEventListener listener) {
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

  private ConsumerEventListener standbyListener(int generation) {
    return new ConsumerEventListener() {
      @Override
      public void becameActive(Consumer<?> c, int partitionId) {
        if (generation == standbyGeneration) {
          activeAtMillis = System.currentTimeMillis();
          activeSince = System.nanoTime();
        }
      }

      @Override
      public void becameInactive(Consumer<?> c, int partitionId) {
        if (generation == standbyGeneration) {
          activeSince = -1;
        }
      }
    };
  }

  private ConsumerEventListener holderListener() {
    return new ConsumerEventListener() {
      @Override
      public void becameActive(Consumer<?> c, int partitionId) {
        holderToldInactive = false;
        holderActiveSince = System.nanoTime();
      }

      @Override
      public void becameInactive(Consumer<?> c, int partitionId) {
        holderToldInactive = true;
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
  boolean standbyActive() {
    return activeSince >= 0;
  }

  /**
   * Takes the lease: a holder consumer of a higher priority than every standby's, which a standby
   * joining later cannot take from it (the broker moves a Failover subscription only among the
   * consumers of the highest priority). It counts once the holder was the active consumer for
   * {@link #settle}: two standbys told "active" in turn while replicas joined may both add a
   * holder, and the broker then keeps one.
   *
   * <p>The broker switches its active consumer at once when a consumer joins or leaves, but tells
   * the consumers only after its failover delay D. So the holder is taken as active as soon as the
   * lease topic's stats name this instance (its own standby, of a lower priority, cannot be active
   * while the holder is connected), and the settle runs from then, not from the delayed word.
   * Another replica told "active" before this holder joined is told otherwise at most D later and
   * adds its holder within a {@link #POLL} of hearing "active": after D and {@link #SETTLE_MARGIN}
   * no other holder is coming, and one that came would have shown in the stats, which are read
   * every {@link #STATS_POLL}, or in a word "inactive" from the broker. Without readable stats the
   * holder waits for the broker's word, then settles.
   *
   * <p>Returns false if this one was not kept within {@code timeout}; its holder consumer is closed
   * and it stands by again.
   */
  private boolean hold(Duration timeout) throws PulsarClientException, InterruptedException {
    holderActiveSince = -1; // not what an earlier holder consumer of this instance heard
    holderToldInactive = false;
    holder = subscribe(0, holderListener());
    long deadline = System.nanoTime() + timeout.toNanos();
    long since = -1;
    while (System.nanoTime() < deadline) {
      boolean active = holderActive();
      long now = System.nanoTime();
      if (!active) {
        since = -1;
      } else if (since < 0) {
        since = now;
        TakeOverLog.step(app, "holder-active");
      } else if (now - since >= settle.toNanos()) {
        confirmed = true;
        TakeOverLog.step(app, "settled");
        standby.close(); // the holder has it; the standby consumer only competed
        LOG.info("[{}] instance {} is now the active replica", app, instance);
        return true;
      }
      Thread.sleep(STATS_POLL.toMillis());
    }
    holder.close();
    holder = null;
    LOG.info("[{}] instance {} stands by again: the broker kept another holder", app, instance);
    return false;
  }

  /** {@link #hold} for the time a holder may take to settle: four settles. */
  boolean hold() throws PulsarClientException, InterruptedException {
    return hold(settle.multipliedBy(4));
  }

  /**
   * Whether the holder consumer is the broker's active one: the lease topic's stats name this
   * instance and the broker did not since tell the holder otherwise; only the broker's word when
   * the stats cannot be read.
   */
  private boolean holderActive() {
    if (holderToldInactive) {
      return false;
    }
    try {
      var subscription = admin.topics().getStats(topic).getSubscriptions().get(SUBSCRIPTION);
      return subscription != null && instance.equals(subscription.getActiveConsumerName());
    } catch (PulsarAdminException e) {
      LOG.debug("[{}] cannot read the stats of the lease {}: {}", app, topic, e.toString());
      return holderActiveSince >= 0;
    }
  }

  /**
   * Holds the lease ({@link #hold}) once the broker made this replica's standby the active one
   * ({@link #standbyActive}); {@code whileSettling} is what the caller started for the settle (e.g.
   * reading the changelog ahead; null for nothing), closed here if the lease is not held. Returns
   * whether this replica now holds the lease.
   */
  boolean tryHold(AutoCloseable whileSettling) {
    TakeOverLog.step(app, "standby-active", activeAtMillis);
    boolean held = false;
    try {
      held = hold();
    } catch (PulsarClientException e) {
      throw new SourceException("Taking the lease " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (!held && whileSettling != null) {
        closeQuietly(whileSettling);
      }
    }
    return held;
  }

  /**
   * Blocks until this instance holds the lease, starting {@code whileSettling} for each settle
   * ({@link #tryHold}) and logging every {@code every} while it stands by; returns false if {@code
   * stopped} was set meanwhile.
   */
  boolean await(Duration every, BooleanSupplier stopped, Supplier<AutoCloseable> whileSettling) {
    long since = System.nanoTime();
    long lastLog = since;
    LOG.info(
        "[{}] instance {} joined the replicas of the app; waiting to become active", app, instance);
    while (!stopped.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      if (standbyActive() && tryHold(whileSettling.get())) {
        return true;
      }
      long now = System.nanoTime();
      if (now - lastLog >= every.toNanos()) {
        lastLog = now;
        LOG.info(
            "[{}] instance {} stands by ({} s): other replicas are active",
            app,
            instance,
            TimeUnit.NANOSECONDS.toSeconds(now - since));
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return false;
  }

  private static void closeQuietly(AutoCloseable work) {
    try {
      work.close();
    } catch (Exception e) {
      LOG.warn("dropping what was started while a lease settled: {}", e.toString());
    }
  }

  /** Leaves the lease: another replica becomes active about a second later. */
  @Override
  public void close() {
    closed = true;
    for (var c : new Consumer<?>[] {holder, standby}) {
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
