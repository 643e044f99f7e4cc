package io.sluice.internal.runtime;

import io.sluice.errors.ConfigException;
import java.util.List;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;

/**
 * Creates a sharded app's repartition topics (one partition per shard) before the app reads them;
 * refuses one whose partition count is not the shard count, as its keys would land in other shards
 * than the state they built.
 */
final class RepartitionTopics {
  private RepartitionTopics() {}

  static void create(PulsarAdmin admin, List<String> topics, int shards) {
    for (String topic : topics) {
      try {
        try {
          admin.topics().createPartitionedTopic(topic, shards);
        } catch (PulsarAdminException.ConflictException exists) {
          int partitions = admin.topics().getPartitionedTopicMetadata(topic).partitions;
          if (partitions != shards) {
            throw new ConfigException(
                "The repartition topic "
                    + topic
                    + " has "
                    + partitions
                    + " partitions but the app has "
                    + shards
                    + " shards: an app's shard count cannot change while it has state (start it"
                    + " with "
                    + partitions
                    + " shards, or under a new name)");
          }
        }
      } catch (PulsarAdminException e) {
        throw new ConfigException(
            "Cannot create the repartition topic " + topic + ": " + e.getMessage(), e);
      }
    }
  }
}
