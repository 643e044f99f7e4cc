package io.sluice.sink.pulsar.internal;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
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

  public void commit(TxnID id) {
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
