package io.sluice.internal.checkpoint;

import io.sluice.errors.CheckpointException;
import io.sluice.state.internal.Bytes;
import io.sluice.state.internal.CheckpointRecord;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * What one pass of Readers over a unit's changelog topics has seen so far: the newest checkpoint
 * record, the keyed state as of the messages read, and the newest journaled transaction id. Reading
 * can stop and go on later with the same Readers, so a replica can read most of the changelog while
 * it waits for its lease to settle, and only the rest once it fenced the former holder: one
 * uninterrupted pass in topic order, whatever the pauses in it, is what a single read after the
 * fence would have seen (a Reader never skips past an open transaction; it waits at it).
 *
 * <p>Each topic's Reader and what it fed are used by one thread at a time: the read-ahead's
 * (records and journal on one, state on another), then the start-up thread after joining them.
 */
final class ChangelogView implements AutoCloseable {
  static final byte[] RECORD_KEY = {0};

  /** Key of a replica's sync marker; never a state key, which is longer. */
  static final byte[] SYNC_KEY = {2};

  static final byte PUT = 1;
  static final byte DELETE = 0;

  /** Messages a Reader fetches ahead: a restore reads a whole compacted topic in one go. */
  private static final int RECEIVER_QUEUE = 5000;

  private final ChangelogTopics topics;
  private final Reader<byte[]> records;
  private final Reader<byte[]> state;
  private final Reader<byte[]> journal; // null when the app is not replicated

  private CheckpointRecord newest;
  private final Map<Bytes, byte[]> values = new LinkedHashMap<>();
  private TxnID lastTxn;

  private ChangelogView(
      ChangelogTopics topics,
      Reader<byte[]> records,
      Reader<byte[]> state,
      Reader<byte[]> journal) {
    this.topics = topics;
    this.records = records;
    this.state = state;
    this.journal = journal;
  }

  /** Opens Readers at the start of the topics (the journal's only for {@code fenced}). */
  static ChangelogView open(PulsarClient client, ChangelogTopics topics, boolean fenced) {
    Reader<byte[]> records = null;
    Reader<byte[]> state = null;
    try {
      records = reader(client, topics.records());
      state = reader(client, topics.state());
      Reader<byte[]> journal = fenced ? reader(client, topics.journal()) : null;
      return new ChangelogView(topics, records, state, journal);
    } catch (PulsarClientException e) {
      closeQuietly(records);
      closeQuietly(state);
      throw new CheckpointException("Cannot read the changelog " + topics.state() + ": " + e, e);
    }
  }

  private static Reader<byte[]> reader(PulsarClient client, String topic)
      throws PulsarClientException {
    return client
        .newReader(Schema.BYTES)
        .topic(topic)
        .startMessageId(MessageId.earliest)
        .readCompacted(true)
        .receiverQueueSize(RECEIVER_QUEUE)
        .create();
  }

  /** Reads every topic as far as it is readable now. */
  void readAvailable() {
    readRecords();
    readState();
    readJournal();
  }

  /** Reads the records topic as far as it is readable now. */
  void readRecords() {
    readAvailable(records, topics.records(), this::applyRecord);
  }

  /** Reads the state topic as far as it is readable now. */
  void readState() {
    readAvailable(state, topics.state(), this::applyState);
  }

  /** Reads the journal to its end (it holds no transactions, so nothing holds a Reader back). */
  void readJournal() {
    if (journal != null) {
      readAvailable(journal, topics.journal(), this::applyJournal);
    }
  }

  /**
   * Reads the records and the state topic up to the sync markers this replica wrote at their ends:
   * a Reader stops at the first transaction not yet ended, and {@code hasMessageAvailable} then
   * says nothing is left; reading up to a marker waits for such a transaction to end instead.
   */
  void readToMarkers(byte[] recordsMarker, byte[] stateMarker) {
    readToMarker(records, topics.records(), recordsMarker, this::applyRecord);
    readToMarker(state, topics.state(), stateMarker, this::applyState);
  }

  Optional<CheckpointRecord> newest() {
    return Optional.ofNullable(newest);
  }

  Map<Bytes, byte[]> state() {
    return values;
  }

  Optional<TxnID> lastTxn() {
    return Optional.ofNullable(lastTxn);
  }

  private void applyRecord(Message<byte[]> m) {
    if (Arrays.equals(m.getKeyBytes(), RECORD_KEY)) {
      newest = CheckpointRecord.decode(m.getValue());
    }
  }

  private void applyState(Message<byte[]> m) {
    if (Arrays.equals(m.getKeyBytes(), SYNC_KEY)) {
      return;
    }
    Bytes key = new Bytes(m.getKeyBytes());
    byte[] v = m.getValue();
    if (v.length == 0 || v[0] == DELETE) {
      values.remove(key);
    } else {
      values.put(key, Arrays.copyOfRange(v, 1, v.length));
    }
  }

  private void applyJournal(Message<byte[]> m) {
    byte[] v = m.getValue();
    if (v != null && v.length == 16) {
      ByteBuffer b = ByteBuffer.wrap(v);
      lastTxn = new TxnID(b.getLong(), b.getLong());
    }
  }

  private static void readAvailable(
      Reader<byte[]> reader, String topic, Consumer<Message<byte[]>> apply) {
    try {
      while (reader.hasMessageAvailable()) {
        Message<byte[]> m = reader.readNext(30, TimeUnit.SECONDS);
        if (m == null) {
          throw new CheckpointException(
              "Reading the changelog " + topic + ": a message is available but none came in 30 s");
        }
        apply.accept(m);
      }
    } catch (PulsarClientException e) {
      throw new CheckpointException("Cannot read the changelog " + topic + ": " + e, e);
    }
  }

  private static void readToMarker(
      Reader<byte[]> reader, String topic, byte[] marker, Consumer<Message<byte[]>> apply) {
    try {
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
    } catch (PulsarClientException e) {
      throw new CheckpointException("Cannot read the changelog " + topic + ": " + e, e);
    }
  }

  @Override
  public void close() {
    closeQuietly(records);
    closeQuietly(state);
    closeQuietly(journal);
  }

  private static void closeQuietly(Reader<byte[]> reader) {
    if (reader != null) {
      reader.closeAsync();
    }
  }
}
