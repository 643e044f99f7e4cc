package io.sluice.sink.pulsar.internal;

import io.sluice.errors.SinkException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * Tells whether an ended transaction was aborted, once the coordinator has forgotten it: the
 * coordinator drops a transaction from its metadata as soon as it is committed or aborted (also
 * when it aborts one on its own, at the timeout), so "not found" alone cannot tell a commit from
 * lost output. The transaction buffer of each partition the transaction wrote to keeps the ids of
 * aborted transactions (to hide their messages from readers) and knows nothing of committed ones.
 *
 * <p>A buffer forgets an abort once the ledger holding it has been deleted (consumed and past
 * retention), so a transaction it does not list is taken as committed only if its first message is
 * readable ({@link #firstMessage}): a reader is never given an aborted message. If that message's
 * ledger is gone too, the outcome cannot be told; keep the sink topic's retention above the
 * transaction timeout plus the longest time the app may be down.
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

  /** What a transaction's first message says of its outcome. */
  public enum FirstMessage {
    /** Readable: the transaction was committed. */
    READABLE,
    /** Its ledger is there but a reader is not given it: the transaction was aborted. */
    NOT_READABLE,
    /** Its ledger has been deleted: the outcome cannot be told. */
    DELETED
  }

  /**
   * Looks for message {@code first} (the first a transaction sent) on its partition of the topic.
   *
   * @throws SinkException if the broker cannot answer (the commit is retried)
   */
  public FirstMessage firstMessage(MessageId first) {
    MessageIdAdv id = (MessageIdAdv) first;
    String partition =
        id.getPartitionIndex() >= 0 ? topic + "-partition-" + id.getPartitionIndex() : topic;
    try {
      boolean ledgerKept =
          admin.topics().getInternalStats(partition).ledgers.stream()
              .anyMatch(l -> l.ledgerId == id.getLedgerId());
      if (!ledgerKept) {
        return FirstMessage.DELETED;
      }
      try (Reader<byte[]> reader =
          client
              .newReader(Schema.BYTES)
              .topic(partition)
              .startMessageId(first)
              .startMessageIdInclusive()
              .create()) {
        // a reader stops before a transaction that is still open, so none may be pending here:
        // the coordinator no longer knows this one, so its markers are written
        Message<byte[]> m =
            reader.hasMessageAvailable() ? reader.readNext(30, TimeUnit.SECONDS) : null;
        if (m == null) {
          return FirstMessage.NOT_READABLE;
        }
        MessageIdAdv got = (MessageIdAdv) m.getMessageId();
        return got.getLedgerId() == id.getLedgerId() && got.getEntryId() == id.getEntryId()
            ? FirstMessage.READABLE
            : FirstMessage.NOT_READABLE;
      }
    } catch (PulsarAdminException | IOException e) {
      throw new SinkException(
          "Sink "
              + sink
              + ": cannot read message "
              + first
              + " of "
              + partition
              + " to tell whether its transaction was committed ("
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
