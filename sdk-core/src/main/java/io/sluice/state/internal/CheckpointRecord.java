package io.sluice.state.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * What one completed checkpoint records besides keyed state: the last processed position of every
 * partition and the committables of every sink writer. Encoded with a CRC so a damaged record is
 * detected instead of trusted.
 *
 * @param id checkpoint id, increasing
 * @param timestampMillis when the checkpoint was taken
 * @param positions partition topic name to serialised MessageId of the last processed message
 * @param committables sink committables, in the order they must be committed
 */
public record CheckpointRecord(
    long id,
    long timestampMillis,
    Map<String, byte[]> positions,
    List<SinkCommittable> committables) {

  private static final int MAGIC = 0x534c4331; // "SLC1"

  /** A committable of one sink, tagged with the sink's name. */
  public record SinkCommittable(String sink, byte[] payload) {}

  public CheckpointRecord {
    positions = Map.copyOf(positions);
    committables = List.copyOf(committables);
  }

  public byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeLong(id);
      out.writeLong(timestampMillis);
      out.writeInt(positions.size());
      for (Map.Entry<String, byte[]> e : positions.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        out.write(e.getValue());
      }
      out.writeInt(committables.size());
      for (SinkCommittable c : committables) {
        out.writeUTF(c.sink());
        out.writeInt(c.payload().length);
        out.write(c.payload());
      }
      out.flush();
      CRC32C crc = new CRC32C();
      crc.update(bytes.toByteArray());
      out.writeLong(crc.getValue());
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Decodes a record.
   *
   * @throws IllegalArgumentException if the bytes are damaged (bad magic, length or checksum)
   */
  public static CheckpointRecord decode(byte[] data) {
    if (data.length < 4 + 8 + 8 + 4 + 4 + 8) {
      throw new IllegalArgumentException("checkpoint record too short: " + data.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(data, 0, data.length - 8);
    long expected = ByteBuffer.wrap(data, data.length - 8, 8).getLong();
    if (crc.getValue() != expected) {
      throw new IllegalArgumentException("checkpoint record checksum mismatch");
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 8));
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException("not a checkpoint record (bad magic)");
      }
      long id = in.readLong();
      long ts = in.readLong();
      int n = in.readInt();
      Map<String, byte[]> positions = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String topic = in.readUTF();
        byte[] id0 = new byte[in.readInt()];
        in.readFully(id0);
        positions.put(topic, id0);
      }
      int m = in.readInt();
      List<SinkCommittable> committables = new ArrayList<>();
      for (int i = 0; i < m; i++) {
        String sink = in.readUTF();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        committables.add(new SinkCommittable(sink, payload));
      }
      return new CheckpointRecord(id, ts, positions, committables);
    } catch (IOException e) {
      throw new IllegalArgumentException("damaged checkpoint record", e);
    }
  }
}
