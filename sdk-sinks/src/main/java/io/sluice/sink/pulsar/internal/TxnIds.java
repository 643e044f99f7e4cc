package io.sluice.sink.pulsar.internal;

import java.nio.ByteBuffer;
import org.apache.pulsar.client.api.transaction.TxnID;

/** Transaction ids as committable bytes (16 bytes: most, least significant bits). */
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

  public static TxnID fromBytes(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException("not a transaction id: " + bytes.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    return new TxnID(b.getLong(), b.getLong());
  }
}
