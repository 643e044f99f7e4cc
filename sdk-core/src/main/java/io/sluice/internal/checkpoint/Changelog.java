package io.sluice.internal.checkpoint;

import io.sluice.CheckpointException;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.CheckpointRecord;
import io.sluice.state.internal.StateDelta;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.Transaction;
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
 * <p>Runs on the commit thread (writes) and the start-up thread (reads).
 */
public final class Changelog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Changelog.class);
  private static final byte[] RECORD_KEY = {0};
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

  private Changelog(
      String app,
      String stateTopic,
      String recordTopic,
      PulsarClient client,
      Producer<byte[]> state,
      Producer<byte[]> records) {
    this.app = app;
    this.stateTopic = stateTopic;
    this.recordTopic = recordTopic;
    this.client = client;
    this.state = state;
    this.records = records;
  }

  /**
   * Opens the changelog of {@code app} in {@code namespace} (creating its topics, compacted past 64
   * MiB where topic policies are enabled), through a transactional {@code client}.
   */
  public static Changelog open(
      String app, String namespace, PulsarClient client, PulsarAdmin admin) {
    String stateTopic = "persistent://" + namespace + "/__sluice-changelog-" + app;
    String recordTopic = "persistent://" + namespace + "/__sluice-checkpoints-" + app;
    for (String topic : List.of(stateTopic, recordTopic)) {
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
      } catch (PulsarAdminException e) {
        LOG.warn(
            "[{}] no compaction threshold on {} ({}); compact it from time to time",
            app,
            topic,
            e.toString());
      }
    }
    try {
      return new Changelog(
          app,
          stateTopic,
          recordTopic,
          client,
          producer(client, stateTopic, app),
          producer(client, recordTopic, app));
    } catch (PulsarClientException e) {
      throw new CheckpointException(
          "Cannot write the changelog " + stateTopic + " (sluice.state.changelog): " + e, e);
    }
  }

  private static Producer<byte[]> producer(PulsarClient client, String topic, String app)
      throws PulsarClientException {
    return client
        .newProducer(Schema.BYTES)
        .topic(topic)
        .sendTimeout(0, TimeUnit.SECONDS)
        .enableBatching(true)
        .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
        .blockIfQueueFull(true)
        .create();
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

  private Optional<CheckpointRecord> newestRecord() {
    CheckpointRecord[] newest = {null};
    readAll(recordTopic, m -> newest[0] = CheckpointRecord.decode(m.getValue()));
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

  @Override
  public void close() {
    state.closeAsync();
    records.closeAsync();
  }
}
