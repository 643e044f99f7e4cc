package io.sluice.sink.pulsar.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.transaction.TxnID;

/**
 * Transaction ids as committable bytes: 16 bytes (most, least significant bits), the pending handle
 * a writer registers when it opens the transaction; the committable it prepares adds the id of the
 * transaction's first message, the evidence that tells a commit from a forgotten abort ({@link
 * TransactionOutcomes#firstMessage}).
 */
public final class TxnIds {
  private TxnIds() {}

  /** Bytes of an encoded id. */
  public static final int LENGTH = 16;

  public static byte[] toBytes(TxnID id) {
    return ByteBuffer.allocate(LENGTH)
        .putLong(id.getMostSigBits())
        .putLong(id.getLeastSigBits())
        .array();
  }

  /** The committable of a transaction whose first message has id {@code first}. */
  public static byte[] toBytes(TxnID id, MessageId first) {
    byte[] message = first.toByteArray();
    return ByteBuffer.allocate(LENGTH + message.length)
        .putLong(id.getMostSigBits())
        .putLong(id.getLeastSigBits())
        .put(message)
        .array();
  }

  /** The transaction id of a pending handle or a committable. */
  public static TxnID fromBytes(byte[] bytes) {
    if (bytes.length < LENGTH) {
      throw new IllegalArgumentException("not a transaction id: " + bytes.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    return new TxnID(b.getLong(), b.getLong());
  }

  /**
   * The id of the transaction's first message, if the committable holds one (committables written
   * before it was recorded hold only the transaction id).
   */
  public static Optional<MessageId> firstMessage(byte[] bytes) {
    if (bytes.length <= LENGTH) {
      return Optional.empty();
    }
    try {
      return Optional.of(MessageId.fromByteArray(Arrays.copyOfRange(bytes, LENGTH, bytes.length)));
    } catch (IOException e) {
      throw new IllegalArgumentException("not a message id after the transaction id", e);
    }
  }

  /** The pending handle a committable finishes: its transaction id alone. */
  public static byte[] handleOf(byte[] committable) {
    return Arrays.copyOf(committable, LENGTH);
  }
}
