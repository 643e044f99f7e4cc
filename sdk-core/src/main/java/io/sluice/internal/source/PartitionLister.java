package io.sluice.internal.source;

import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.internal.AdminCalls;
import io.sluice.internal.Partitions;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.source.PulsarSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;

/**
 * Which partitions the app's sources name now, through the admin API: each partition of each
 * explicit topic, and every topic of a pattern's namespace that matches it (system topics, named
 * {@code __…}, never). Used at start-up (an explicit topic that does not exist is an error) and by
 * discovery (it is not).
 */
final class PartitionLister {
  private final PulsarAdmin admin;
  private final List<SourceBinding> sources;
  private final Predicate<String> owned;

  /** {@code owned}: the partitions this instance reads (a shard's); the others are left out. */
  PartitionLister(PulsarAdmin admin, List<SourceBinding> sources, Predicate<String> owned) {
    this.admin = admin;
    this.sources = sources;
    this.owned = owned;
  }

  /** Every partition of every source now; explicit topics that do not exist are an error. */
  Map<String, SourceBinding> resolvePartitions() {
    Map<String, SourceBinding> result = new HashMap<>();
    for (SourceBinding binding : sources) {
      for (String partition : partitionsOf(binding, true)) {
        SourceBinding previous = result.putIfAbsent(partition, binding);
        if (previous != null && previous != binding) {
          throw new ConfigException(
              "Partition "
                  + partition
                  + " is read by two sources ("
                  + previous.source()
                  + " and "
                  + binding.source()
                  + "): a topic may belong to one source only");
        }
      }
    }
    return result;
  }

  List<String> partitionsOf(SourceBinding binding, boolean strict) {
    PulsarSource source = binding.source();
    try {
      List<String> bases = new ArrayList<>();
      if (source.pattern().isPresent()) {
        String ns = source.patternNamespace();
        Set<String> all = new HashSet<>(admin.topics().getPartitionedTopicList(ns));
        for (String t : admin.topics().getList(ns)) {
          all.add(Partitions.baseOf(t));
        }
        for (String t : all) {
          if (!t.contains("/__") && source.pattern().get().matcher(t).matches()) {
            bases.add(t);
          }
        }
      } else {
        bases.addAll(source.topicList());
      }
      Map<String, Integer> counts =
          AdminCalls.each(
              bases,
              base ->
                  AdminCalls.orNullIfNotFound(
                      admin
                          .topics()
                          .getPartitionedTopicMetadataAsync(base)
                          .thenApply(m -> m.partitions)));
      List<String> result = new ArrayList<>();
      for (String base : bases) {
        int n = counts.getOrDefault(base, -1);
        if (n > 0) {
          for (int i = 0; i < n; i++) {
            result.add(base + "-partition-" + i);
          }
        } else if (n == 0 && (source.pattern().isPresent() || exists(base))) {
          result.add(base);
        } else if (strict) {
          throw new ConfigException(
              "Topic "
                  + base
                  + " does not exist. Create it (pulsar-admin topics create or"
                  + " create-partitioned-topic) or fix the name in PulsarSource.topics(...)");
        }
      }
      result.removeIf(owned.negate());
      return result;
    } catch (PulsarAdminException e) {
      throw new SourceException(
          "Cannot list the topics of " + source + " through the admin API: " + e.getMessage(), e);
    }
  }

  private boolean exists(String topic) throws PulsarAdminException {
    String rest = topic.substring(topic.indexOf("://") + 3);
    String ns = rest.substring(0, rest.lastIndexOf('/'));
    return admin.topics().getList(ns).contains(topic);
  }
}
