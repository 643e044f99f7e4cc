package io.sluice.sink.pulsar.internal;

import io.sluice.errors.SinkException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * Tells whether an ended transaction was aborted, once the coordinator has forgotten it: the
 * coordinator drops a transaction from its metadata as soon as it is committed or aborted (also
 * when it aborts one on its own, at the timeout), so "not found" alone cannot tell a commit from
 * lost output. The transaction buffer of each partition the transaction wrote to keeps the ids of
 * aborted transactions (to hide their messages from readers) and knows nothing of committed ones.
 *
 * <p>Limit: a buffer forgets an abort once the ledger holding it has been deleted (consumed and
 * past retention); such a transaction is then taken as committed, though its messages were never
 * visible. Keep the sink topic's retention above the transaction timeout plus the longest time the
 * app may be down.
 */
public final class TransactionOutcomes {
  /** Transaction buffer states in which its list of aborted transactions is complete. */
  private static final Set<String> RECOVERED = Set.of("Ready", "NoSnapshot");

  private final PulsarAdmin admin;
  private final PulsarClient client;
  private final String topic;
  private final String sink;

  public TransactionOutcomes(PulsarAdmin admin, PulsarClient client, String topic, String sink) {
    this.admin = admin;
    this.client = client;
    this.topic = topic;
    this.sink = sink;
  }

  /**
   * Whether the transaction buffer of any of the topic's partitions lists {@code id} as aborted.
   *
   * @throws SinkException if the admin API cannot answer (the commit is retried)
   */
  public boolean aborted(TxnID id) {
    try {
      for (String partition : partitions()) {
        // The admin API does not load a topic, and only a recovered buffer knows its aborted
        // transactions (one still replaying the topic answers "not aborted"). A reader loads the
        // topic, and the broker lets it attach only once the buffer has recovered.
        client
            .newReader(Schema.BYTES)
            .topic(partition)
            .startMessageId(MessageId.latest)
            .create()
            .close();
        String state = admin.transactions().getTransactionBufferStats(partition).state;
        if (!RECOVERED.contains(state)) {
          throw new SinkException(
              "Sink "
                  + sink
                  + ": the transaction buffer of "
                  + partition
                  + " is "
                  + state
                  + ", not recovered yet; cannot tell yet whether transaction "
                  + id
                  + " was committed or aborted (retrying)");
        }
        if (admin.transactions().getTransactionInBufferStats(id, partition).aborted) {
          return true;
        }
      }
      return false;
    } catch (PulsarAdminException | IOException e) {
      throw new SinkException(
          "Sink "
              + sink
              + ": the coordinator no longer knows transaction "
              + id
              + ", and asking "
              + topic
              + "'s transaction buffer whether it was aborted failed ("
              + e.getMessage()
              + "); retrying",
          e);
    }
  }

  private List<String> partitions() throws PulsarAdminException {
    int n = admin.topics().getPartitionedTopicMetadata(topic).partitions;
    if (n == 0) {
      return List.of(topic);
    }
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(topic + "-partition-" + i);
    }
    return names;
  }
}
