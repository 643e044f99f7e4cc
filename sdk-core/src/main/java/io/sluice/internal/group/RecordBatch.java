package io.sluice.internal.group;

import io.sluice.source.SourceRecord;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;

/**
 * Records of one partition that a fetcher read in one go, decoded, and hands to its slot group's
 * ring as one slot: the ring's per-event costs (a claim, a slot written by one core and read by
 * another, the processing thread's bookkeeping) are paid per batch instead of per record. Written
 * only by the fetcher before it publishes the slot; read only by the processing thread after.
 */
public final class RecordBatch {
  final InputPartition partition;
  final int size;
  final MessageId[] ids;
  final long[] publishTimes;
  final long[] eventTimes;

  /** The decoded values (or the records themselves when the source has no decoder). */
  final Object[] values;

  /** Why decoding a record failed, or null. */
  final Throwable[] decodeErrors;

  /**
   * The ids' fields in {@link MessageIdAdv#compareTo}'s order, read by the fetcher (which has the
   * message at hand), so the processing thread compares positions without loading id objects that
   * other threads wrote.
   */
  final long[] ledgers;

  final long[] entries;
  final int[] partitionIndexes;
  final int[] batchIndexes;

  /** The records' payload bytes (what the ring's byte bound counts). */
  private long bytes;

  public RecordBatch(InputPartition partition, int size) {
    this.partition = partition;
    this.size = size;
    this.ids = new MessageId[size];
    this.publishTimes = new long[size];
    this.eventTimes = new long[size];
    this.values = new Object[size];
    this.decodeErrors = new Throwable[size];
    this.ledgers = new long[size];
    this.entries = new long[size];
    this.partitionIndexes = new int[size];
    this.batchIndexes = new int[size];
  }

  /**
   * Fills slot {@code i} from {@code record}; its value stays the record itself until {@link
   * #decoded} replaces it.
   */
  public void read(int i, SourceRecord record) {
    MessageIdAdv id = (MessageIdAdv) record.messageId();
    ids[i] = id;
    ledgers[i] = id.getLedgerId();
    entries[i] = id.getEntryId();
    partitionIndexes[i] = id.getPartitionIndex();
    batchIndexes[i] = id.getBatchIndex();
    publishTimes[i] = record.publishTime();
    eventTimes[i] = record.eventTime();
    values[i] = record;
    bytes += record.value().length;
  }

  /** The payload bytes of the records read into it. */
  public long bytes() {
    return bytes;
  }

  /**
   * Sets what the operators get for slot {@code i}: the decoded value, or (with {@code error}) the
   * record as read, which the bad-record policy needs.
   */
  public void decoded(int i, Object value, Throwable error) {
    if (error == null) {
      values[i] = value;
    }
    decodeErrors[i] = error;
  }

  /** How many records the batch holds. */
  public int size() {
    return size;
  }

  /**
   * Compares record {@code i} with the partition's last processed position, as {@link
   * MessageIdAdv#compareTo} would.
   */
  int compareWithPosition(int i) {
    InputPartition p = partition;
    return compare(
        ledgers[i],
        entries[i],
        partitionIndexes[i],
        batchIndexes[i],
        p.positionLedger,
        p.positionEntry,
        p.positionPartition,
        p.positionBatch);
  }

  /**
   * Two positions in the order of {@link MessageIdAdv#compareTo}: ledger, entry, partition, batch.
   */
  static int compare(
      long ledgerA,
      long entryA,
      int partitionA,
      int batchA,
      long ledgerB,
      long entryB,
      int partitionB,
      int batchB) {
    int c = Long.compare(ledgerA, ledgerB);
    if (c == 0) {
      c = Long.compare(entryA, entryB);
      if (c == 0) {
        c = Integer.compare(partitionA, partitionB);
        if (c == 0) {
          c = Integer.compare(batchA, batchB);
        }
      }
    }
    return c;
  }

  /** Makes record {@code i} the partition's last processed position. */
  void advancePosition(int i) {
    InputPartition p = partition;
    p.position = ids[i];
    p.positionLedger = ledgers[i];
    p.positionEntry = entries[i];
    p.positionPartition = partitionIndexes[i];
    p.positionBatch = batchIndexes[i];
  }
}
