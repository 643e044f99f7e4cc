package io.sluice.internal.checkpoint;

import io.sluice.errors.CheckpointException;
import io.sluice.internal.TakeOverLog;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateDelta;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.Transaction;
import org.apache.pulsar.client.api.transaction.TransactionCoordinatorClientException;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.apache.pulsar.client.impl.PulsarClientImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The app's checkpoints kept in Pulsar, for a start whose state directory is missing or damaged.
 * Two compacted topics beside the app's first source: {@code __sluice-changelog-<app>} holds the
 * keyed state (one message per changed key: the value, or a deletion), {@code
 * __sluice-checkpoints-<app>} the checkpoint records (positions, sink committables). Each
 * checkpoint's changes and its record go in one Pulsar transaction, committed before the
 * checkpoint's sinks commit:
 *
 * <pre>
 *  local checkpoint N (RocksDB) ─▶ txn{ state changes of N, record N } commit ─▶ sinks commit N
 *                                                                         ─▶ cursors advance
 * </pre>
 *
 * So the changelog is never behind committed output, and a reader sees a checkpoint whole or not at
 * all (aborted transactions are invisible, and compaction leaves them out). A start that finds the
 * local store at another checkpoint than the changelog (e.g. it crashed between the two writes, or
 * the changelog was just turned on) first writes the whole local state as the changelog's new base.
 *
 * <p>Replicated apps: the changelog is also the fence between replicas. Each transaction's id is
 * appended to a third topic, {@code __sluice-changelog-txns-<app>}, before anything is sent in it.
 * An instance taking the app over opens its producers on all three topics with {@code
 * ExclusiveWithFencing}, which fails every later send of the former holder, then aborts the
 * transaction the journal names last (one the former holder may have filled before the fence and
 * could still commit), and reads the changelog up to sync markers it wrote after the fence. It may
 * have read most of the changelog before, while its lease settled ({@link ChangelogReadAhead}): the
 * same Readers go on, so what it restores is what one read after the fence would give.
 *
 * <pre>
 *  new holder:  (read ahead) ─▶ fence journal + changelog + records ─▶ sync markers
 *               ─▶ read journal on ─▶ abort its last txn ─▶ read on up to the markers
 *               ─▶ restore ─▶ re-commit its committables
 *  old holder:  journal(txn) ─▶ sends ─▶ commit      (each step fails once fenced or aborted)
 * </pre>
 *
 * A transaction the old holder filled before the fence was journaled before it, so the new holder
 * aborts it unless it committed first, in which case the new holder reads it. Either way nothing
 * the old holder commits afterwards is missing from what the new holder restored.
 *
 * <p>Runs on the commit thread (writes) and the start-up thread (reads).
 */
public final class Changelog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Changelog.class);
  private static final byte[] RECORD_KEY = ChangelogView.RECORD_KEY;
  private static final byte[] SYNC_KEY = ChangelogView.SYNC_KEY;
  private static final byte PUT = ChangelogView.PUT;
  private static final byte DELETE = ChangelogView.DELETE;

  /** What a restore found: the newest checkpoint record and the keyed state as of it. */
  public record Restored(CheckpointRecord record, Map<Bytes, byte[]> state) {}

  private final String app;
  private final ChangelogTopics topics;
  private final PulsarClient client;
  private final Producer<byte[]> state;
  private final Producer<byte[]> records;

  /** The transaction journal of a replicated app ({@code null} otherwise). */
  private final Producer<byte[]> journal;

  /**
   * A replicated app: the changelog as read up to this instance's sync markers when it took the
   * unit over ({@code null} otherwise, and after the restore took it).
   */
  private ChangelogView takenOver;

  /** How long reading {@link #takenOver} took, in ms (read ahead, then after the fence). */
  private long takeOverReadMillis;

  /**
   * The take-over's first pass, told once the first checkpoint is committed (the start is over), so
   * that it sets up the topics' compaction only then ({@code null} once told, or without one).
   */
  private volatile ChangelogReadAhead readAhead;

  private Changelog(
      String app,
      ChangelogTopics topics,
      PulsarClient client,
      Producer<byte[]> state,
      Producer<byte[]> records,
      Producer<byte[]> journal) {
    this.app = app;
    this.topics = topics;
    this.client = client;
    this.state = state;
    this.records = records;
    this.journal = journal;
  }

  /**
   * Opens the changelog of {@code app} in {@code namespace} (creating its topics, compacted past 64
   * MiB where topic policies are enabled), through a transactional {@code client}. {@code fenced}
   * (a replicated app): takes the changelog over from any other instance, as the class doc says,
   * going on from {@code readAhead} (its topics prepared and read so far while the lease settled)
   * when it is not {@code null}.
   */
  public static Changelog open(
      String app,
      String namespace,
      PulsarClient client,
      PulsarAdmin admin,
      boolean fenced,
      ChangelogReadAhead readAhead) {
    ChangelogTopics topics = ChangelogTopics.of(app, namespace);
    if (readAhead == null) {
      topics.prepare(admin, fenced);
    }
    if (!fenced) {
      try {
        return new Changelog(
            app,
            topics,
            client,
            producer(client, topics.state(), ProducerAccessMode.Shared).get(),
            producer(client, topics.records(), ProducerAccessMode.Shared).get(),
            null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CheckpointException("Interrupted opening the changelog " + topics.state(), e);
      } catch (ExecutionException e) {
        throw new CheckpointException(
            "Cannot write the changelog " + topics.state() + " (sluice.state.changelog): " + e, e);
      }
    }
    try {
      Changelog changelog = takeOver(app, topics, client, readAhead);
      changelog.readAhead = readAhead;
      return changelog;
    } catch (RuntimeException e) {
      if (readAhead != null) {
        readAhead.close();
      }
      throw e;
    }
  }

  private static Changelog takeOver(
      String app, ChangelogTopics topics, PulsarClient client, ChangelogReadAhead readAhead) {
    ChangelogView view = readAhead != null ? readAhead.take() : null;
    long readAheadMillis = readAhead != null ? readAhead.readMillis() : 0;
    Changelog changelog = fence(app, topics, client);
    try {
      long started = System.nanoTime();
      if (view == null) {
        view = ChangelogView.open(client, topics, true);
        view.readAvailable();
      }
      changelog.catchUp(view);
      changelog.takeOverReadMillis =
          readAheadMillis + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    } catch (RuntimeException e) {
      if (view != null) {
        view.close();
      }
      changelog.close();
      throw e;
    }
    return changelog;
  }

  /**
   * Opens the producers on all three topics with {@code ExclusiveWithFencing}, at once: every later
   * send of the former holder fails. Their order does not matter, as nothing is read before all
   * three are open: a journal entry the former holder got in before the fence is read afterwards,
   * and one that came after it failed, so the former holder sent nothing in that transaction.
   */
  private static Changelog fence(String app, ChangelogTopics topics, PulsarClient client) {
    ProducerAccessMode mode = ProducerAccessMode.ExclusiveWithFencing;
    CompletableFuture<Producer<byte[]>> journal = producer(client, topics.journal(), mode);
    CompletableFuture<Producer<byte[]>> state = producer(client, topics.state(), mode);
    CompletableFuture<Producer<byte[]>> records = producer(client, topics.records(), mode);
    try {
      CompletableFuture.allOf(journal, state, records).join();
    } catch (CompletionException e) {
      for (CompletableFuture<Producer<byte[]>> p : List.of(journal, state, records)) {
        p.thenAccept(Producer::closeAsync);
      }
      throw new CheckpointException(
          "Cannot write the changelog " + topics.state() + " (sluice.state.changelog): " + e, e);
    }
    TakeOverLog.step(app, "fenced");
    return new Changelog(app, topics, client, state.join(), records.join(), journal.join());
  }

  /**
   * After the fence: aborts the transaction the journal names last, writes the sync markers and
   * reads the changelog up to them. The markers go out while the abort runs: a Reader waits at the
   * open transaction either way, and the markers land after everything the former holder sent.
   */
  private void catchUp(ChangelogView view) {
    Map<String, CompletableFuture<byte[]>> markers = sync();
    view.readJournal();
    view.lastTxn().ifPresent(this::abortFormerHolder);
    TakeOverLog.step(app, "aborted");
    view.readToMarkers(
        awaitMarker(markers, topics.records()), awaitMarker(markers, topics.state()));
    view.close(); // what it read stays; its Readers are done
    TakeOverLog.step(app, "changelog-read");
    takenOver = view;
  }

  private static byte[] awaitMarker(Map<String, CompletableFuture<byte[]>> markers, String topic) {
    try {
      return markers.get(topic).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof CheckpointException c ? c : e;
    }
  }

  private static CompletableFuture<Producer<byte[]>> producer(
      PulsarClient client, String topic, ProducerAccessMode mode) {
    return client
        .newProducer(Schema.BYTES)
        .topic(topic)
        .accessMode(mode)
        .sendTimeout(0, TimeUnit.SECONDS)
        .enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
        .blockIfQueueFull(true)
        .createAsync();
  }

  /**
   * Aborts {@code id}, the transaction the journal names last: the former holder's newest, which it
   * may have filled before the fence and could otherwise still commit after this instance restored.
   */
  private void abortFormerHolder(TxnID id) {
    try {
      ((PulsarClientImpl) client).getTcClient().abort(id);
      LOG.info("[{}] aborted transaction {} of the changelog's former holder", app, id);
    } catch (TransactionCoordinatorClientException.TransactionNotFoundException
        | TransactionCoordinatorClientException.InvalidTxnStatusException ended) {
      LOG.debug("[{}] the former holder's transaction {} had ended: {}", app, id, ended.toString());
    } catch (TransactionCoordinatorClientException e) {
      throw new CheckpointException(
          "Cannot abort transaction "
              + id
              + " of the changelog's former holder (journal "
              + topics.journal()
              + "): "
              + e,
          e);
    }
  }

  /**
   * Writes a marker at the end of the state and the records topic, which the take-over's reads go
   * on until. A reader stops at the first transaction not yet ended, and {@code
   * hasMessageAvailable} says nothing is left there: the former holder's last transaction, when it
   * was committing as this instance took the changelog over (the abort came too late), would be
   * missed, and with it the newest checkpoint. Reading up to a marker written after the fence waits
   * for that commit to land instead. Returns each topic's marker once it is written.
   */
  private Map<String, CompletableFuture<byte[]>> sync() {
    Map<String, CompletableFuture<byte[]>> written = new HashMap<>();
    for (Map.Entry<String, Producer<byte[]>> e :
        Map.of(topics.state(), state, topics.records(), records).entrySet()) {
      byte[] marker = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
      written.put(
          e.getKey(),
          e.getValue()
              .newMessage()
              .keyBytes(SYNC_KEY)
              .value(marker)
              .sendAsync()
              .handle(
                  (id, failure) -> {
                    if (failure != null) {
                      throw new CheckpointException(
                          "Cannot write the changelog " + e.getKey() + ": " + failure, failure);
                    }
                    return marker;
                  }));
    }
    return written;
  }

  /**
   * Whether {@code failure} (of a write) means another instance took the changelog over: this
   * instance's producers were fenced, or its transaction was aborted by the new holder (checked by
   * name: the client reports either through more than one exception class). Always false for an app
   * that is not replicated.
   */
  public boolean isFenced(Throwable failure) {
    if (journal == null) {
      return false;
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      if (name.equals("ProducerFencedException")
          || name.equals("TransactionNotFoundException")
          || name.equals("InvalidTxnStatusException")) {
        return true;
      }
    }
    return false;
  }

  /** Writes checkpoint {@code record} with its state changes, in order, in one transaction. */
  public void write(CheckpointRecord record, List<StateDelta> deltas) {
    List<Map<Bytes, byte[]>> changes = new ArrayList<>();
    deltas.forEach(d -> changes.add(d.changes()));
    writeInTransaction(record, changes);
  }

  /** Writes the whole state as of {@code record}: the changelog's new base. */
  public void writeBase(CheckpointRecord record, Map<Bytes, byte[]> all) {
    LOG.info(
        "[{}] writing checkpoint {} to the changelog as its base: {} keys",
        app,
        record.id(),
        all.size());
    writeInTransaction(record, List.of(all));
  }

  private void writeInTransaction(CheckpointRecord record, List<Map<Bytes, byte[]>> changes) {
    Transaction txn = null;
    try {
      txn = client.newTransaction().withTransactionTimeout(5, TimeUnit.MINUTES).build().get();
      if (journal != null) {
        TxnID id = txn.getTxnID();
        journal
            .newMessage()
            .keyBytes(RECORD_KEY) // one key: compaction keeps the newest id
            .value(
                ByteBuffer.allocate(16)
                    .putLong(id.getMostSigBits())
                    .putLong(id.getLeastSigBits())
                    .array())
            .send();
      }
      List<CompletableFuture<MessageId>> sent = new ArrayList<>();
      for (Map<Bytes, byte[]> batch : changes) {
        for (Map.Entry<Bytes, byte[]> e : batch.entrySet()) {
          sent.add(
              state
                  .newMessage(txn)
                  .keyBytes(e.getKey().get())
                  .value(encode(e.getValue()))
                  .sendAsync());
        }
      }
      sent.add(records.newMessage(txn).keyBytes(RECORD_KEY).value(record.encode()).sendAsync());
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
      txn.commit().get(2, TimeUnit.MINUTES);
      ChangelogReadAhead started = readAhead;
      if (started != null) { // the first checkpoint is in: the take-over is over
        readAhead = null;
        started.startedUp();
      }
    } catch (Exception e) {
      if (txn != null) {
        txn.abort();
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new CheckpointException(
          "Writing checkpoint "
              + record.id()
              + " to the changelog "
              + topics.state()
              + " failed: "
              + e,
          e);
    }
  }

  private static byte[] encode(byte[] value) {
    if (value == StateDelta.TOMBSTONE) {
      return new byte[] {DELETE};
    }
    byte[] out = new byte[value.length + 1];
    out[0] = PUT;
    System.arraycopy(value, 0, out, 1, value.length);
    return out;
  }

  /** The id of the newest checkpoint in the changelog, or 0. */
  public long newestId() {
    return newestRecord().map(CheckpointRecord::id).orElse(0L);
  }

  /**
   * The newest checkpoint record in the changelog, if any: for a replicated app, as read when it
   * took the unit over.
   */
  public Optional<CheckpointRecord> newestRecord() {
    if (takenOver != null) {
      return takenOver.newest();
    }
    try (ChangelogView view = ChangelogView.open(client, topics, false)) {
      view.readRecords();
      return view.newest();
    }
  }

  /**
   * The newest checkpoint and the state as of it, if the changelog has one: for a replicated app,
   * as read when it took the unit over (once; see {@link #endTakeOver}).
   */
  public Optional<Restored> restore() {
    if (takenOver != null) {
      ChangelogView view = takenOver;
      takenOver = null;
      return view.newest().map(r -> new Restored(r, view.state()));
    }
    try (ChangelogView view = ChangelogView.open(client, topics, false)) {
      view.readAvailable();
      return view.newest().map(r -> new Restored(r, view.state()));
    }
  }

  /** Forgets what the take-over read (the state directory held it already). */
  public void endTakeOver() {
    takenOver = null;
  }

  /** How long a replicated app's take-over spent reading the changelog, in ms. */
  public long takeOverReadMillis() {
    return takeOverReadMillis;
  }

  @Override
  public void close() {
    ChangelogReadAhead started = readAhead;
    if (started != null) {
      readAhead = null;
      started.close();
    }
    state.closeAsync();
    records.closeAsync();
    if (journal != null) {
      journal.closeAsync();
    }
  }
}
