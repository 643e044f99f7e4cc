package io.sluice.sink.pulsar.internal;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClientException;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.apache.pulsar.client.impl.PulsarClientImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a transaction by its id alone, as recovery must after a crash (the {@code Transaction}
 * object died with the process). This needs the client's internal coordinator client, so its use is
 * kept in this one class.
 *
 * <p>Outcomes: a transaction the coordinator no longer knows has ended; whether it was committed or
 * aborted (by the broker, at its timeout) is then asked of the topic's transaction buffer ({@link
 * TransactionOutcomes}). One aborted, or reported ABORTED when we commit, is lost output and fails
 * loudly.
 */
public final class TransactionCoordinator {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionCoordinator.class);

  private final PulsarClientImpl client;
  private final String sink;
  private final TransactionOutcomes outcomes;

  public TransactionCoordinator(PulsarClient client, String sink, TransactionOutcomes outcomes) {
    this.client = (PulsarClientImpl) client;
    this.sink = sink;
    this.outcomes = outcomes;
  }

  /**
   * Commits {@code id}, whose first message has id {@code first} (null: no output, or a committable
   * written before that was recorded). A transaction the coordinator no longer knows counts as
   * committed only on evidence: its first message is readable; one whose abort is listed, or whose
   * first message is not readable, is lost; one whose messages' ledger was deleted cannot be told
   * either way, and is not taken as committed ({@link CommitLostException}).
   */
  public void commit(TxnID id, MessageId first) {
    try {
      client.getTcClient().commit(id);
    } catch (TransactionCoordinatorClientException.TransactionNotFoundException e) {
      if (outcomes.aborted(id)) {
        throw lost(
            id,
            "the coordinator had forgotten it; the topic's transaction buffer lists it"
                + " as aborted",
            e);
      }
      if (first != null) {
        switch (outcomes.firstMessage(first)) {
          case READABLE -> {}
          case NOT_READABLE ->
              throw lost(
                  id,
                  "the coordinator had forgotten it, and its first message "
                      + first
                      + " is not readable: aborted, the abort no longer listed",
                  e);
          case DELETED ->
              throw new CommitLostException(
                  "Sink "
                      + sink
                      + ": transaction "
                      + id
                      + " of a completed checkpoint is unknown to the coordinator, and the ledger"
                      + " that held its first message "
                      + first
                      + " has been deleted, so whether its output was committed or aborted (after"
                      + " the transactionTimeout) cannot be told; it is not taken as committed."
                      + " Keep the sink topic's retention above the transactionTimeout plus the"
                      + " longest time the app may be down.",
                  e);
        }
      }
      LOG.info("sink {}: transaction {} already committed", sink, id);
    } catch (TransactionCoordinatorClientException.InvalidTxnStatusException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("ABORT")) {
        throw lost(id, m, e);
      }
      LOG.info("sink {}: transaction {} already committed ({})", sink, id, m);
    } catch (TransactionCoordinatorClientException e) {
      throw new SinkException("Sink " + sink + ": cannot commit transaction " + id + ": " + e, e);
    }
  }

  private CommitLostException lost(TxnID id, String how, Exception cause) {
    return new CommitLostException(
        "Sink "
            + sink
            + ": transaction "
            + id
            + " of a completed checkpoint was aborted by the broker ("
            + how
            + "), so its output is lost. This happens when the app, or the broker, is down longer"
            + " than the sink's transactionTimeout; raise it.",
        cause);
  }

  /** Aborts {@code id}; returns false if it had already ended. */
  public boolean abort(TxnID id) {
    try {
      client.getTcClient().abort(id);
      LOG.info("sink {}: aborted transaction {}, which no completed checkpoint holds", sink, id);
      return true;
    } catch (TransactionCoordinatorClientException.TransactionNotFoundException
        | TransactionCoordinatorClientException.InvalidTxnStatusException e) {
      LOG.debug("sink {}: transaction {} already ended: {}", sink, id, e.getMessage());
      return false;
    } catch (TransactionCoordinatorClientException e) {
      throw new SinkException("Sink " + sink + ": cannot abort transaction " + id + ": " + e, e);
    }
  }
}
