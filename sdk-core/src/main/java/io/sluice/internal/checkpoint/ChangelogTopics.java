package io.sluice.internal.checkpoint;

import io.sluice.errors.CheckpointException;
import java.util.List;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics of a unit's changelog ({@link Changelog}): keyed state, checkpoint records and, for a
 * replicated app, the transaction journal; all compacted.
 */
record ChangelogTopics(String unit, String state, String records, String journal) {
  private static final Logger LOG = LoggerFactory.getLogger(ChangelogTopics.class);

  static ChangelogTopics of(String unit, String namespace) {
    String prefix = "persistent://" + namespace + "/__sluice-";
    return new ChangelogTopics(
        unit,
        prefix + "changelog-" + unit,
        prefix + "checkpoints-" + unit,
        prefix + "changelog-txns-" + unit);
  }

  /** The topics in use: the journal only for a replicated ({@code fenced}) app. */
  List<String> all(boolean fenced) {
    return fenced ? List.of(journal, state, records) : List.of(state, records);
  }

  /** {@link #create}, then {@link #setUpCompaction}. */
  void prepare(PulsarAdmin admin, boolean fenced) {
    create(admin, fenced);
    setUpCompaction(admin, fenced);
  }

  /** Creates the topics that do not exist yet. */
  void create(PulsarAdmin admin, boolean fenced) {
    for (String topic : all(fenced)) {
      try {
        admin.topics().createNonPartitionedTopic(topic);
      } catch (PulsarAdminException.ConflictException exists) {
        // created by an earlier run
      } catch (PulsarAdminException e) {
        throw new CheckpointException(
            "Cannot create the changelog topic " + topic + " (sluice.state.changelog): " + e, e);
      }
    }
  }

  /**
   * Sets the topics' compaction threshold (64 MiB, where topic policies are enabled) and compacts
   * them now: the compaction cursor keeps the broker from trimming a topic's older ledgers (a topic
   * without a subscription keeps only its current ledger), and the next start reads less.
   */
  void setUpCompaction(PulsarAdmin admin, boolean fenced) {
    for (String topic : all(fenced)) {
      try {
        admin.topicPolicies().setCompactionThreshold(topic, 64L << 20);
        admin.topics().triggerCompaction(topic);
      } catch (PulsarAdminException.ConflictException running) {
        // a compaction is running already
      } catch (PulsarAdminException e) {
        LOG.warn(
            "[{}] no compaction threshold on {} ({}); compact it from time to time",
            unit,
            topic,
            e.toString());
      }
    }
  }
}
