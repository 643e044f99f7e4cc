/**
 * How the Pulsar sink ({@code PulsarSink}) stays exactly-once, and what it does in outages and with
 * bad records; the public class shows usage and limits.
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b> Before the first
 * message goes into a transaction, its id is recorded durably in the local state store ({@link
 * SinkContext#registerPending}). At a checkpoint barrier the writer flushes and hands the id to the
 * checkpoint; the checkpoint's RocksDB write makes it part of the completed checkpoint, and only
 * then is the transaction committed. After a crash: the newest checkpoint's transactions are
 * committed again and every other recorded transaction is aborted, so readers of the topic are not
 * blocked until a timeout and nothing prepared after the checkpoint becomes visible. Readers see
 * only committed messages.
 *
 * <p><b>Committing again.</b> The coordinator forgets a transaction once it has ended, whether
 * committed or aborted at its timeout, so "not found" alone does not tell. A checkpoint's
 * committable holds the transaction id and the id of its first message; a transaction the
 * coordinator no longer knows is taken as committed only if the topic's transaction buffer does not
 * list it as aborted and that first message is readable. If its ledger has been deleted, the
 * outcome cannot be told and the commit fails ({@code CommitLostException}) instead of moving the
 * durable cursors past output that may never have become visible ({@link TransactionOutcomes}).
 *
 * <p><b>Backpressure.</b> A writer has at most {@code Builder#maxPendingMessages} sends in flight;
 * past that, writing waits for the broker, so the readers slow to what the sink topic takes and a
 * checkpoint's flush is short. Sends are batched generously (up to 20 ms, 10,000 messages or 1 MB
 * per batch): a Pulsar 4.0 standalone was seen storing the sink's transactional batches one after
 * the other, so small batches limited what the sink could write; the wait is invisible to readers,
 * who see output only when its checkpoint's transaction commits.
 *
 * <p><b>Broker restarts.</b> The sink turns on message deduplication for its topic (a topic policy,
 * unless the namespace or broker already has it): a producer that reconnects sends again what the
 * broker had not acknowledged, and only deduplication keeps a message the broker had already stored
 * from being committed twice. Requests to the broker wait up to half the transaction timeout (at
 * most 5 min) before failing, so a broker restart or failover only pauses the writer.
 *
 * <p><b>A lost state directory.</b> Every transaction id is also appended to a small journal topic
 * in the sink topic's namespace ({@code __sluice-txns-<app>-<hash>}) before its first message, and
 * leaves it once ended. Recovery aborts whatever the journal still lists beyond the restored
 * checkpoint, so transactions left open by a crash do not hold back readers of the topic even when
 * the local state is gone. The journal's exclusive subscription also keeps a second instance of the
 * same app from aborting the first one's transactions.
 */
package io.sluice.sink.pulsar.internal;
