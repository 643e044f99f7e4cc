package io.sluice.internal.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.Metric;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks, from an active replica of a sharded app, for shards that no replica holds: a lease topic
 * without any consumer means fewer replicas run than there are shards, and that shard's partitions
 * are not read. Counted in {@code sluice.replicas.shards.unread} and logged, naming the fix.
 */
final class ShardWatch {
  private static final Logger LOG = LoggerFactory.getLogger(ShardWatch.class);

  private final String app;
  private final PulsarAdmin admin;
  private final int shards;
  private final IntFunction<String> leaseTopic;
  private final AtomicInteger unread = new AtomicInteger();

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

  /** One look at every shard's lease (an admin call per shard). */
  void check() {
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      try {
        SubscriptionStats lease =
            admin.topics().getStats(leaseTopic.apply(i)).getSubscriptions().get(Lease.SUBSCRIPTION);
        if (lease == null || lease.getConsumers().isEmpty()) {
          missing.add(i);
        }
      } catch (PulsarAdminException e) {
        LOG.debug("[{}] cannot read the lease of shard {}: {}", app, i, e.toString());
        return; // no answer is not an answer: keep the last count
      }
    }
    unread.set(missing.size());
    if (!missing.isEmpty()) {
      LOG.warn(
          "[{}] shards {} of {} have no replica, so their partitions are not read: run at least"
              + " {} replicas of the app (one per shard; more stand by)",
          app,
          missing,
          shards,
          shards);
    }
  }
}
