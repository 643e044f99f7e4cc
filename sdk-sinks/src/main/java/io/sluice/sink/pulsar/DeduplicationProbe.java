package io.sluice.sink.pulsar;

import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;

/**
 * Whether the broker deduplicates a topic, asked of the topic itself rather than of its policies: a
 * topic with deduplication on keeps its producers' sequence ids in a cursor named {@code
 * pulsar.dedup}, which its internal stats list. Reading them needs only the produce or consume
 * permission, where reading topic policies needs a tenant admin, the namespace's needs one too, and
 * the broker's configuration a super-user.
 */
final class DeduplicationProbe {
  private static final String CURSOR = "pulsar.dedup";

  private DeduplicationProbe() {}

  /**
   * Looks for the cursor for up to 10 s: a topic just loaded by the sink's producer opens it in the
   * background.
   */
  static boolean isActive(PulsarAdmin admin, String topic)
      throws PulsarAdminException, InterruptedException {
    boolean partitioned = admin.topics().getPartitionedTopicMetadata(topic).partitions > 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      boolean active =
          partitioned
              ? admin.topics().getPartitionedInternalStats(topic).partitions.values().stream()
                  .allMatch(p -> p.cursors.containsKey(CURSOR))
              : admin.topics().getInternalStats(topic).cursors.containsKey(CURSOR);
      if (active) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(200);
    }
  }
}
