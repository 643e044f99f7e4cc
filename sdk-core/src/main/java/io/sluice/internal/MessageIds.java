package io.sluice.internal;

import io.sluice.state.internal.CheckpointRecord;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.internal.DefaultImplementation;

/** Conversions between message ids, their bytes, and cursor positions ({@code ledger:entry}). */
public final class MessageIds {
  private MessageIds() {}

  public static byte[] toBytes(MessageId id) {
    return id.toByteArray();
  }

  public static MessageId fromBytes(byte[] bytes, String topic) {
    try {
      return MessageId.fromByteArrayWithTopic(bytes, topic);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable message id for " + topic, e);
    }
  }

  /**
   * A copy of {@code id} that shares nothing with the message it came from. The ids of one batch
   * share the client's record of which of its messages are acknowledged: acknowledging a received
   * id cumulatively on another consumer would find the batch fully acknowledged once the reader's
   * own cursor passed its end, and move that consumer past messages after {@code id}. A copy
   * carries a fresh record, so a position inside a batch moves a cursor to the entry before.
   */
  public static MessageId detached(MessageId id) {
    try {
      return MessageId.fromByteArray(id.toByteArray());
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable message id " + id, e);
    }
  }

  /**
   * A cursor position such as {@code 12:-1} as the id to read after: the whole entry is behind it.
   * It carries the highest batch index, because a reader started after a plain {@code ledger:entry}
   * id delivers that entry again when it holds a batch (the client skips only the batch indexes up
   * to the start id's, and a plain id has none).
   */
  public static MessageId fromPosition(String position, int partitionIndex) {
    String[] parts = position.split(":");
    return afterEntry(Long.parseLong(parts[0]), Long.parseLong(parts[1]), partitionIndex);
  }

  /** The id of entry {@code ledger:entry} as a whole (no batch index). */
  public static MessageId atEntry(long ledger, long entry, int partitionIndex) {
    return DefaultImplementation.getDefaultImplementation()
        .newMessageId(ledger, entry, partitionIndex);
  }

  /** The id to start a reader after, exclusively, so that the whole entry is skipped. */
  public static MessageId afterEntry(long ledger, long entry, int partitionIndex) {
    return new BatchMessageIdImpl(ledger, entry, partitionIndex, Integer.MAX_VALUE);
  }

  /** The positions a checkpoint recorded (empty for {@code null}). */
  public static Map<String, MessageId> positionsOf(CheckpointRecord checkpoint) {
    Map<String, MessageId> out = new HashMap<>();
    if (checkpoint != null) {
      checkpoint.positions().forEach((topic, bytes) -> out.put(topic, fromBytes(bytes, topic)));
    }
    return out;
  }

  public static long ledgerOf(MessageId id) {
    return id instanceof MessageIdAdv adv ? adv.getLedgerId() : -1;
  }
}
