package io.sluice.sink.pulsar;

import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.pulsar.internal.TransactionCoordinator;
import io.sluice.sink.pulsar.internal.TxnIds;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TxnID;

/** Commits or aborts the sink's transactions; see {@link PulsarSink} for the guarantees. */
final class PulsarSinkCommitter implements Committer {
  private final PulsarSink<?> sink;
  private final TransactionCoordinator coordinator;

  PulsarSinkCommitter(PulsarSink<?> sink, PulsarClient client) {
    this.sink = sink;
    this.coordinator = new TransactionCoordinator(client, sink.name());
  }

  @Override
  public void commit(Committable committable) {
    TxnID id = TxnIds.fromBytes(committable.bytes());
    Transaction live = sink.openTransactions().get(id);
    if (live == null) {
      coordinator.commit(id);
      return;
    }
    try {
      live.commit().get(60, TimeUnit.SECONDS);
      sink.openTransactions().remove(id);
    } catch (ExecutionException e) {
      // The outcome may still be a commit (e.g. the answer was lost): ask by id, idempotently.
      sink.openTransactions().remove(id);
      coordinator.commit(id);
    } catch (TimeoutException e) {
      throw new SinkException("Sink " + sink.name() + ": commit of " + id + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Sink " + sink.name() + ": interrupted committing " + id, e);
    }
  }

  @Override
  public void abort(Committable committable) {
    TxnID id = TxnIds.fromBytes(committable.bytes());
    Transaction live = sink.openTransactions().remove(id);
    if (live != null) {
      live.abort();
    }
    coordinator.abort(id);
  }

  @Override
  public void close() {
    sink.release();
  }
}
