package io.sluice.internal.source;

import io.sluice.internal.MessageIds;
import io.sluice.internal.checkpoint.PartitionStart;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;

/**
 * How far a partition's entry reader has read: records up to the floor (or before it, when it is
 * inclusive) were read before and are skipped. It starts at the reader's start and only moves
 * forward, to the end of each entry split; the broker may deliver older entries again after a
 * reconnection (the entry before the start, the last one taken), and those must not pull it back. A
 * record is named by ledger, entry and batch index (-1 for a message that is not in a batch).
 */
final class ReadFloor {
  private boolean set;
  private long ledger;
  private long entry;
  private int batch;
  private boolean inclusive;

  /** The floor of a reader started at {@code start}: none for the earliest or latest message. */
  static ReadFloor at(PartitionStart start) {
    ReadFloor floor = new ReadFloor();
    MessageId id = start.id();
    if (!id.equals(MessageId.earliest)
        && !id.equals(MessageId.latest)
        && id instanceof MessageIdAdv adv) {
      floor.set = true;
      floor.ledger = adv.getLedgerId();
      floor.entry = adv.getEntryId();
      if (adv.getBatchIndex() >= 0) {
        floor.batch = adv.getBatchIndex();
        floor.inclusive = start.inclusive();
      } else if (start.inclusive()) {
        floor.batch = -1; // the whole entry is read
        floor.inclusive = true;
      } else {
        floor.batch = Integer.MAX_VALUE; // the whole entry is skipped
        floor.inclusive = false;
      }
    }
    return floor;
  }

  /** Whether record {@code ledger:entry:batchIndex} was read before. */
  boolean skips(long ledger, long entry, int batchIndex) {
    if (!set) {
      return false;
    }
    int c = compare(ledger, entry, batchIndex);
    return c < 0 || (c == 0 && !inclusive);
  }

  /** Whether every record of entry {@code ledger:entry} was read before. */
  boolean skipsEntry(long ledger, long entry, boolean batched) {
    return skips(ledger, entry, batched ? Integer.MAX_VALUE : -1);
  }

  /** Entry {@code ledger:entry} is read to its end; an entry before the floor changes nothing. */
  void passEntry(long ledger, long entry) {
    if (!set || compare(ledger, entry, Integer.MAX_VALUE) > 0) {
      this.set = true;
      this.ledger = ledger;
      this.entry = entry;
      this.batch = Integer.MAX_VALUE;
      this.inclusive = false;
    }
  }

  /**
   * Where a Reader taking over from the entry reader starts: {@code original} if no entry was split
   * yet, else right after the last entry split.
   */
  PartitionStart resume(PartitionStart original, int partitionIndex) {
    if (!set || batch != Integer.MAX_VALUE) {
      return original; // nothing split yet: the floor is still the start
    }
    return new PartitionStart(
        MessageIds.afterEntry(ledger, entry, partitionIndex), false, original.layer());
  }

  private int compare(long ledger, long entry, int batchIndex) {
    int c = Long.compare(ledger, this.ledger);
    if (c == 0) {
      c = Long.compare(entry, this.entry);
    }
    return c != 0 ? c : Integer.compare(batchIndex, batch);
  }
}
