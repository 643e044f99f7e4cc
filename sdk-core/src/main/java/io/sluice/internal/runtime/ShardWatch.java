package io.sluice.internal.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.metrics.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the leases of a sharded app's shards: which replicas run (the consumer names on the leases:
 * every replica stands by on each shard it does not hold) and which shards no replica holds or
 * stands by for, so that their partitions are not read. Counted in {@code
 * sluice.replicas.shards.unread} and logged, naming the fix.
 */
final class ShardWatch {
  private static final Logger LOG = LoggerFactory.getLogger(ShardWatch.class);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** What one look saw: the consumer names on each shard's lease. */
  record View(List<Set<String>> consumers) {
    /** The replicas that run: every name on any lease. */
    Set<String> replicas() {
      Set<String> all = new TreeSet<>();
      consumers.forEach(all::addAll);
      return all;
    }

    /** Whether a replica other than {@code instance} is on shard {@code shard}'s lease. */
    boolean othersOn(int shard, String instance) {
      return consumers.get(shard).stream().anyMatch(name -> !name.equals(instance));
    }
  }

  private final String app;
  private final PulsarAdmin admin;
  private final int shards;
  private final IntFunction<String> leaseTopic;
  private final AtomicInteger unread = new AtomicInteger();
  private long lastWarned = System.nanoTime() - WARN_EVERY_NANOS;

  ShardWatch(
      String app,
      PulsarAdmin admin,
      int shards,
      IntFunction<String> leaseTopic,
      MeterRegistry meters) {
    this.app = app;
    this.admin = admin;
    this.shards = shards;
    this.leaseTopic = leaseTopic;
    Metric.REPLICAS_SHARDS_UNREAD
        .gauge(unread, AtomicInteger::get)
        .tag("app", app)
        .register(meters);
  }

  /**
   * One look at every shard's lease (an admin call per shard); null if a lease could not be read
   * (the count stays as it was).
   */
  View check() {
    List<Set<String>> consumers = new ArrayList<>();
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      try {
        SubscriptionStats lease =
            admin.topics().getStats(leaseTopic.apply(i)).getSubscriptions().get(Lease.SUBSCRIPTION);
        Set<String> names = new TreeSet<>();
        if (lease != null) {
          lease.getConsumers().forEach(c -> names.add(c.getConsumerName()));
        }
        if (names.isEmpty()) {
          missing.add(i);
        }
        consumers.add(names);
      } catch (PulsarAdminException e) {
        LOG.debug("[{}] cannot read the lease of shard {}: {}", app, i, e.toString());
        return null; // no answer is not an answer: keep the last count
      }
    }
    unread.set(missing.size());
    long now = System.nanoTime();
    if (!missing.isEmpty() && now - lastWarned >= WARN_EVERY_NANOS) {
      lastWarned = now;
      LOG.warn(
          "[{}] shards {} of {} have no replica, so their partitions are not read: start a replica"
              + " of the app (a replica reads every shard no other one holds)",
          app,
          missing,
          shards);
    }
    return new View(consumers);
  }
}
