package io.sluice.sink.pulsar;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.SinkMetrics;
import io.sluice.sink.pulsar.internal.TxnIds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.TypedMessageBuilder;
import org.apache.pulsar.client.api.transaction.Transaction;

/**
 * Writes into the current transaction; on a barrier hands it over and switches to the next one,
 * which was opened and durably registered in the background so the barrier never waits for it. Runs
 * on its slot group's processing thread.
 */
final class PulsarSinkWriter<T> implements SinkWriter<T> {
  private final PulsarSink<T> sink;
  private final PulsarClient client;
  private final SinkContext context;
  private final Producer<byte[]> producer;
  private final AtomicReference<Throwable> sendFailure = new AtomicReference<>();

  /** How long a batch of output may wait to fill; see the producer's construction. */
  static final int BATCH_DELAY_MILLIS = 20;

  private final SinkMetrics metrics;
  private Transaction current;
  private CompletableFuture<Transaction> next;

  /** When {@link #next} was asked for ({@link System#nanoTime}). */
  private long nextRequestedNanos;

  private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

  /** The first send in {@link #current}: its id goes into the committable. */
  private CompletableFuture<MessageId> firstSend;

  PulsarSinkWriter(PulsarSink<T> sink, PulsarClient client, SinkContext context) {
    this.sink = sink;
    this.client = client;
    this.context = context;
    try {
      this.producer =
          client
              .newProducer(Schema.BYTES)
              .topic(sink.topic())
              .sendTimeout(0, TimeUnit.SECONDS)
              .blockIfQueueFull(true)
              .maxPendingMessages(sink.maxPendingMessages())
              // Large batches: the broker appended this producer's transactional sends one at a
              // time here (the next after the previous was stored, ~3 ms each on the test
              // machines), so 1 ms batches of a few messages held the sink to 1–3k messages/s and
              // made checkpoint transactions huge and slow to commit. Waiting longer to fill a
              // batch costs no visibility: output is read only once its transaction commits, and
              // a checkpoint flushes the open batch at once.
              .enableBatching(true)
              .batchingMaxPublishDelay(BATCH_DELAY_MILLIS, TimeUnit.MILLISECONDS)
              .batchingMaxMessages(10_000)
              .batchingMaxBytes(1 << 20)
              .create();
    } catch (PulsarClientException e) {
      throw new SinkException(
          "Sink " + sink.name() + ": cannot create a producer for " + sink.topic() + ": " + e, e);
    }
    this.metrics = SinkMetrics.of(context, sink.name());
    this.next = open();
  }

  private CompletableFuture<Transaction> open() {
    nextRequestedNanos = System.nanoTime();
    return client
        .newTransaction()
        .withTransactionTimeout(sink.transactionTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .build()
        .thenCompose(
            txn -> {
              // Known to this process before the journal entry is readable (recovery of a later
              // run only aborts what is in the journal and not live); in the journal before any
              // message is sent in it, so even a lost state directory cannot orphan it.
              sink.openTransactions().put(txn.getTxnID(), txn);
              return sink.journal(context.appName())
                  .record(txn.getTxnID())
                  .handle(
                      (ok, t) -> {
                        if (t != null) {
                          sink.openTransactions().remove(txn.getTxnID());
                          txn.abort();
                          throw new CompletionException(t);
                        }
                        return txn;
                      });
            })
        .thenApplyAsync(
            txn -> {
              context.registerPending(Committable.of(TxnIds.toBytes(txn.getTxnID())));
              return txn;
            });
  }

  private Transaction current() {
    if (current == null) {
      Transaction txn = take();
      if (stale(txn)) {
        // opened ahead and then left unused (no output for a while): the broker would time it
        // out while this writer sends in it, so it is aborted and a fresh one is waited for
        end(txn);
        next = open();
        txn = take();
      }
      current = txn;
      next = open();
    }
    return current;
  }

  private Transaction take() {
    try {
      return next.join();
    } catch (RuntimeException e) {
      next = open();
      throw new SinkException(
          "Sink "
              + sink.name()
              + ": cannot open a transaction and record it in its journal (is"
              + " transactionCoordinatorEnabled=true on the broker, and may the app create topics"
              + " in the sink topic's namespace?): "
              + e.getCause(),
          e);
    }
  }

  /**
   * Whether a transaction opened ahead is too old to write a checkpoint's output in: it no longer
   * has the time its output may wait for the commit left ({@link TransactionLifetime}), or it is no
   * longer open.
   */
  private boolean stale(Transaction txn) {
    long age = System.nanoTime() - nextRequestedNanos;
    return txn.getState() != Transaction.State.OPEN || age > sink.staleAfter().toNanos();
  }

  @Override
  public void write(T value) {
    Throwable failed = sendFailure.get();
    if (failed != null) {
      throw new SinkException(
          "Sink " + sink.name() + ": a send to " + sink.topic() + " failed", failed);
    }
    byte[] bytes;
    String key = null;
    Map<String, String> properties = null;
    long eventTime = 0;
    try {
      bytes = sink.serializer().apply(value);
      if (bytes == null) {
        throw new IllegalArgumentException("the serializer returned null");
      }
      if (sink.key() != null) {
        key = sink.key().apply(value);
      }
      if (sink.properties() != null) {
        properties = sink.properties().apply(value);
      }
      if (sink.eventTime() != null) {
        eventTime = sink.eventTime().applyAsLong(value);
      }
    } catch (RuntimeException e) {
      // a record the mappings cannot map: the app's sink bad-record policy decides (fail or skip)
      context.badRecord(value, e);
      return;
    }
    TypedMessageBuilder<byte[]> message = producer.newMessage(current()).value(bytes);
    if (key != null) {
      message.key(key);
    }
    if (properties != null) {
      message.properties(properties);
    }
    if (eventTime > 0) {
      message.eventTime(eventTime);
    }
    CompletableFuture<MessageId> send = message.sendAsync();
    if (firstSend == null) {
      firstSend = send;
    }
    lastSend =
        send.whenComplete(
            (id, t) -> {
              if (t != null) {
                sendFailure.compareAndSet(null, t);
              }
            });
    metrics.record();
    metrics.bytes(bytes.length);
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    if (current == null) {
      return CompletableFuture.completedFuture(null);
    }
    Transaction txn = current;
    current = null;
    CompletableFuture<MessageId> first = firstSend;
    firstSend = null;
    CompletableFuture<?> sent = lastSend;
    return CompletableFuture.allOf(producer.flushAsync(), sent)
        .handle(
            (ok, t) -> {
              Throwable failed = sendFailure.get() != null ? sendFailure.get() : t;
              if (failed != null) {
                throw new SinkException(
                    "Sink " + sink.name() + ": sends of transaction " + txn.getTxnID() + " failed",
                    failed);
              }
              return Committable.of(TxnIds.toBytes(txn.getTxnID(), first.join()));
            });
  }

  /**
   * Aborts a transaction this writer will not use; its journal entry goes once that is done, and
   * only then does the committer skip it (an abort still in flight when the client closes is lost,
   * and the committer must abort that transaction by id).
   */
  private CompletableFuture<Void> end(Transaction txn) {
    sink.openTransactions().remove(txn.getTxnID());
    var journal = sink.journal(context.appName());
    return txn.abort()
        .thenRun(
            () -> {
              sink.abortedByWriters().add(txn.getTxnID());
              journal.ended(txn.getTxnID());
            });
  }

  @Override
  public void close() {
    List<CompletableFuture<Void>> aborts = new ArrayList<>();
    if (current != null) {
      aborts.add(end(current));
    }
    aborts.add(next.thenCompose(this::end));
    try {
      // before the client closes with the sink's last user, or the aborts would be lost and the
      // transactions stay open (blocking every reader of the topic) until they time out
      CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // left to the committer or the next start, which abort by id what the journal lists
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      producer.close();
    } catch (PulsarClientException e) {
      // the process is stopping; unsent messages belong to an aborted transaction
    }
    sink.release(context.appName());
  }
}
