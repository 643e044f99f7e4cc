package io.sluice.sink.pulsar;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.internal.SinkMetrics;
import io.sluice.sink.pulsar.internal.TransactionCoordinator;
import io.sluice.sink.pulsar.internal.TransactionOutcomes;
import io.sluice.sink.pulsar.internal.TxnIds;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TxnID;

/** Commits or aborts the sink's transactions; see {@link PulsarSink} for the guarantees. */
final class PulsarSinkCommitter implements Committer {
  private final PulsarSink<?> sink;
  private final TransactionCoordinator coordinator;

  private final SinkMetrics metrics;

  /** The app, or shard of one, whose transactions this commits: its journal is theirs. */
  private final String app;

  PulsarSinkCommitter(
      PulsarSink<?> sink, PulsarClient client, PulsarAdmin admin, String app, SinkMetrics metrics) {
    this.sink = sink;
    this.app = app;
    this.metrics = metrics;
    this.coordinator =
        new TransactionCoordinator(
            client, sink.name(), new TransactionOutcomes(admin, client, sink.topic(), sink.name()));
  }

  @Override
  public void commit(Committable committable) {
    try {
      metrics.timeCommit(() -> commitTimed(committable));
    } catch (SinkException e) {
      metrics.error(); // the runtime retries it, or fails the app if it is lost
      throw e;
    }
  }

  private void commitTimed(Committable committable) {
    TxnID id = TxnIds.fromBytes(committable.bytes());
    MessageId first = TxnIds.firstMessage(committable.bytes()).orElse(null);
    Transaction live = sink.openTransactions().get(id);
    if (live == null) {
      coordinator.commit(id, first);
      sink.journal(app).ended(id);
      return;
    }
    try {
      live.commit().get(60, TimeUnit.SECONDS);
      sink.openTransactions().remove(id);
    } catch (ExecutionException e) {
      // The outcome may still be a commit (e.g. the answer was lost): ask by id, idempotently.
      sink.openTransactions().remove(id);
      coordinator.commit(id, first);
    } catch (TimeoutException e) {
      throw new SinkException("Sink " + sink.name() + ": commit of " + id + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SinkException("Sink " + sink.name() + ": interrupted committing " + id, e);
    }
    sink.journal(app).ended(id);
  }

  /** A committable's pending handle is its transaction id (the writer registered that alone). */
  @Override
  public Committable pendingHandleOf(Committable committable) {
    return Committable.of(TxnIds.handleOf(committable.bytes()));
  }

  @Override
  public void abort(Committable committable) {
    TxnID id = TxnIds.fromBytes(committable.bytes());
    if (sink.abortedByWriters().contains(id)) {
      return; // its writer aborted it already (its journal entry goes once that is done)
    }
    Transaction live = sink.openTransactions().remove(id);
    if (live != null) {
      try {
        live.abort().get(60, TimeUnit.SECONDS);
        sink.journal(app).ended(id);
        return;
      } catch (ExecutionException e) {
        // e.g. the answer was lost: abort by id below (idempotent)
      } catch (TimeoutException e) {
        throw new SinkException("Sink " + sink.name() + ": abort of " + id + " timed out", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SinkException("Sink " + sink.name() + ": interrupted aborting " + id, e);
      }
    }
    coordinator.abort(id);
    sink.journal(app).ended(id);
  }

  /**
   * Aborts every transaction in the sink's journal that an earlier run left open and the restored
   * checkpoint does not hold, so a lost state directory does not leave readers of the topic blocked
   * until the transactions time out.
   */
  @Override
  public int abortOrphans(Collection<Committable> restored) {
    Set<TxnID> keep = new HashSet<>();
    restored.forEach(c -> keep.add(TxnIds.fromBytes(c.bytes())));
    int aborted = 0;
    for (TxnID id : sink.journal(app).unended()) {
      if (!keep.contains(id) && coordinator.abort(id)) {
        aborted++;
      }
      sink.journal(app).ended(id);
    }
    return aborted;
  }

  @Override
  public void close() {
    sink.release(app);
  }
}
