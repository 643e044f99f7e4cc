package io.sluice.internal.checkpoint;

import io.sluice.CheckpointException;
import io.sluice.internal.TakeOverLog;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateDelta;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.ProducerAccessMode;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
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
 * could still commit). Only then does it read the changelog:
 *
 * <pre>
 *  new holder:  fence journal + changelog + records ─▶ read journal ─▶ abort its last txn
 *               ─▶ read the newest checkpoint ─▶ restore ─▶ re-commit its committables
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
  private static final byte[] RECORD_KEY = {0};

  /** Key of a replica's sync marker (see {@link #sync}); never a state key, which is longer. */
  private static final byte[] SYNC_KEY = {2};

  private static final byte PUT = 1;
  private static final byte DELETE = 0;

  /** What a restore found: the newest checkpoint record and the keyed state as of it. */
  public record Restored(CheckpointRecord record, Map<Bytes, byte[]> state) {}

  private final String app;
  private final String stateTopic;
  private final String recordTopic;
  private final PulsarClient client;
  private final Producer<byte[]> state;
  private final Producer<byte[]> records;

  /** The transaction journal of a replicated app ({@code null} otherwise). */
  private final Producer<byte[]> journal;

  /** The sync markers this instance wrote at open, per topic: reads go on until them. */
  private final Map<String, byte[]> syncMarkers = new HashMap<>();

  private Changelog(
      String app,
      String stateTopic,
      String recordTopic,
      PulsarClient client,
      Producer<byte[]> state,
      Producer<byte[]> records,
      Producer<byte[]> journal) {
    this.app = app;
    this.stateTopic = stateTopic;
    this.recordTopic = recordTopic;
    this.client = client;
    this.state = state;
    this.records = records;
    this.journal = journal;
  }

  /**
   * Opens the changelog of {@code app} in {@code namespace} (creating its topics, compacted past 64
   * MiB where topic policies are enabled), through a transactional {@code client}. {@code fenced}
   * (a replicated app): takes the changelog over from any other instance, as the class doc says.
   */
  public static Changelog open(
      String app, String namespace, PulsarClient client, PulsarAdmin admin, boolean fenced) {
    String stateTopic = "persistent://" + namespace + "/__sluice-changelog-" + app;
    String recordTopic = "persistent://" + namespace + "/__sluice-checkpoints-" + app;
    String journalTopic = "persistent://" + namespace + "/__sluice-changelog-txns-" + app;
    List<String> topics =
        fenced ? List.of(journalTopic, stateTopic, recordTopic) : List.of(stateTopic, recordTopic);
    for (String topic : topics) {
      try {
        admin.topics().createNonPartitionedTopic(topic);
      } catch (PulsarAdminException.ConflictException exists) {
        // created by an earlier run
      } catch (PulsarAdminException e) {
        throw new CheckpointException(
            "Cannot create the changelog topic " + topic + " (sluice.state.changelog): " + e, e);
      }
      try {
        admin.topicPolicies().setCompactionThreshold(topic, 64L << 20);
        // compacting now creates the compaction cursor, which keeps the broker from trimming the
        // topic's older ledgers (a topic without a subscription keeps only its current ledger)
        admin.topics().triggerCompaction(topic);
      } catch (PulsarAdminException.ConflictException running) {
        // a compaction is running already
      } catch (PulsarAdminException e) {
        LOG.warn(
            "[{}] no compaction threshold on {} ({}); compact it from time to time",
            app,
            topic,
            e.toString());
      }
    }
    if (fenced) {
      TakeOverLog.step(app, "changelog-topics");
    }
    ProducerAccessMode mode =
        fenced ? ProducerAccessMode.ExclusiveWithFencing : ProducerAccessMode.Shared;
    try {
      // the journal first: once it is fenced, the former holder opens no transaction it could fill
      Producer<byte[]> journal = fenced ? producer(client, journalTopic, mode) : null;
      Changelog changelog =
          new Changelog(
              app,
              stateTopic,
              recordTopic,
              client,
              producer(client, stateTopic, mode),
              producer(client, recordTopic, mode),
              journal);
      if (fenced) {
        TakeOverLog.step(app, "fenced");
        changelog.abortFormerHolder(journalTopic);
        TakeOverLog.step(app, "aborted");
        changelog.sync();
        TakeOverLog.step(app, "sync-written");
      }
      return changelog;
    } catch (PulsarClientException e) {
      throw new CheckpointException(
          "Cannot write the changelog " + stateTopic + " (sluice.state.changelog): " + e, e);
    }
  }

  private static Producer<byte[]> producer(
      PulsarClient client, String topic, ProducerAccessMode mode) throws PulsarClientException {
    return client
        .newProducer(Schema.BYTES)
        .topic(topic)
        .accessMode(mode)
        .sendTimeout(0, TimeUnit.SECONDS)
        .enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
        .blockIfQueueFull(true)
        .create();
  }

  /**
   * Aborts the transaction the journal names last: the former holder's newest, which it may have
   * filled before the fence and could otherwise still commit after this instance restored.
   */
  private void abortFormerHolder(String journalTopic) {
    byte[][] last = {null};
    readAll(journalTopic, m -> last[0] = m.getValue());
    if (last[0] == null || last[0].length != 16) {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(last[0]);
    TxnID id = new TxnID(b.getLong(), b.getLong());
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
              + journalTopic
              + "): "
              + e,
          e);
    }
  }

  /**
   * Writes a marker at the end of both topics, which later reads go on until. A reader stops at the
   * first transaction not yet ended, and {@code hasMessageAvailable} says nothing is left there:
   * the former holder's last transaction, when it was committing as this instance took the
   * changelog over (the abort came too late), would be missed, and with it the newest checkpoint.
   * Reading up to a marker written after the fence waits for that commit to land instead.
   */
  private void sync() throws PulsarClientException {
    for (Map.Entry<String, Producer<byte[]>> e :
        Map.of(stateTopic, state, recordTopic, records).entrySet()) {
      byte[] marker = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
      e.getValue().newMessage().keyBytes(SYNC_KEY).value(marker).send();
      syncMarkers.put(e.getKey(), marker);
    }
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
    } catch (Exception e) {
      if (txn != null) {
        txn.abort();
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new CheckpointException(
          "Writing checkpoint " + record.id() + " to the changelog " + stateTopic + " failed: " + e,
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

  /** The newest checkpoint record in the changelog, if any. */
  public Optional<CheckpointRecord> newestRecord() {
    CheckpointRecord[] newest = {null};
    readAll(
        recordTopic,
        m -> {
          if (Arrays.equals(m.getKeyBytes(), RECORD_KEY)) {
            newest[0] = CheckpointRecord.decode(m.getValue());
          }
        });
    return Optional.ofNullable(newest[0]);
  }

  /** The newest checkpoint and the state as of it, if the changelog has one. */
  public Optional<Restored> restore() {
    Optional<CheckpointRecord> record = newestRecord();
    if (record.isEmpty()) {
      return Optional.empty();
    }
    Map<Bytes, byte[]> all = new LinkedHashMap<>();
    readAll(
        stateTopic,
        m -> {
          if (Arrays.equals(m.getKeyBytes(), SYNC_KEY)) {
            return;
          }
          Bytes key = new Bytes(m.getKeyBytes());
          byte[] v = m.getValue();
          if (v.length == 0 || v[0] == DELETE) {
            all.remove(key);
          } else {
            byte[] value = new byte[v.length - 1];
            System.arraycopy(v, 1, value, 0, value.length);
            all.put(key, value);
          }
        });
    return Optional.of(new Restored(record.get(), all));
  }

  private void readAll(String topic, java.util.function.Consumer<Message<byte[]>> apply) {
    try (Reader<byte[]> reader =
        client
            .newReader(Schema.BYTES)
            .topic(topic)
            .startMessageId(MessageId.earliest)
            .readCompacted(true)
            .create()) {
      byte[] marker = syncMarkers.get(topic);
      if (marker != null) {
        readUntilMarker(reader, topic, marker, apply);
        return;
      }
      while (reader.hasMessageAvailable()) {
        Message<byte[]> m = reader.readNext(30, TimeUnit.SECONDS);
        if (m == null) {
          throw new CheckpointException(
              "Reading the changelog " + topic + ": a message is available but none came in 30 s");
        }
        apply.accept(m);
      }
    } catch (IOException e) {
      throw new CheckpointException("Cannot read the changelog " + topic + ": " + e, e);
    }
  }

  private static void readUntilMarker(
      Reader<byte[]> reader,
      String topic,
      byte[] marker,
      java.util.function.Consumer<Message<byte[]>> apply)
      throws PulsarClientException {
    while (true) {
      Message<byte[]> m = reader.readNext(2, TimeUnit.MINUTES);
      if (m == null) {
        throw new CheckpointException(
            "Reading the changelog "
                + topic
                + ": its end did not become readable within 2 minutes (a transaction of the"
                + " replica before is still open; it ends at the transaction timeout)");
      }
      if (Arrays.equals(m.getKeyBytes(), SYNC_KEY) && Arrays.equals(m.getValue(), marker)) {
        return;
      }
      apply.accept(m);
    }
  }

  @Override
  public void close() {
    state.closeAsync();
    records.closeAsync();
    if (journal != null) {
      journal.closeAsync();
    }
  }
}
