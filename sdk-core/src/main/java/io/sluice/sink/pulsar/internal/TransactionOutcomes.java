package io.sluice.sink.pulsar.internal;

import io.sluice.SinkException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * Tells whether an ended transaction was aborted, once the coordinator has forgotten it: the
 * coordinator drops a transaction from its metadata as soon as it is committed or aborted (also
 * when it aborts one on its own, at the timeout), so "not found" alone cannot tell a commit from
 * lost output. The transaction buffer of each partition the transaction wrote to keeps the ids of
 * aborted transactions (to hide their messages from readers) for as long as their messages are
 * stored, and knows nothing of committed ones.
 */
public final class TransactionOutcomes {
  private final PulsarAdmin admin;
  private final String topic;
  private final String sink;

  public TransactionOutcomes(PulsarAdmin admin, String topic, String sink) {
    this.admin = admin;
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
        if (admin.transactions().getTransactionInBufferStats(id, partition).aborted) {
          return true;
        }
      }
      return false;
    } catch (PulsarAdminException e) {
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
