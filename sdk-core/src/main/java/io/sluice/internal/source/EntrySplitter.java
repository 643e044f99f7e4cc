package io.sluice.internal.source;

import io.sluice.errors.SourceException;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.apache.pulsar.client.impl.MessageImpl;
import org.apache.pulsar.common.api.proto.MessageMetadata;

/**
 * Splits the entries an {@link EntryReader} hands over into records, as the client would have: a
 * batch is, per message, a 4-byte big-endian size, a {@code SingleMessageMetadata} protobuf of that
 * size, and the payload; the rest of a message's metadata (publish time, batch size) is the
 * entry's. Records are named by the ids the client gives them ({@code ledger:entry:partition} and,
 * in a batch, the batch index and size), so positions and checkpoints are the same either way.
 *
 * <p>Skips what was read before: records at or before the start (the broker delivers the whole
 * entry a start id points into), and entries already split (a reconnection starts again at the last
 * entry taken). An entry whose batch cannot be split is handed on whole, as one record that its
 * decoder marks bad ({@link PartitionDecoder#malformed}), so the source's bad-record policy decides
 * (fail naming it, skip, or dead-letter its bytes) instead of every restart failing on it again.
 * One per partition, used by its partition's fetcher only.
 */
final class EntrySplitter {
  private final String topic;

  private final PartitionStart start;
  private final ReadFloor floor;
  private final PartitionDecoder decoder;

  /**
   * @param decoder the partition's decoder, told which records stand for a malformed entry
   */
  EntrySplitter(String topic, PartitionStart start, PartitionDecoder decoder) {
    this.topic = topic;
    this.start = start;
    this.floor = ReadFloor.at(start);
    this.decoder = decoder;
  }

  /**
   * Whether {@code entry} is a chunk of a chunked message not read yet: whole entries cannot join
   * chunks, so a Reader has to take over the partition from here ({@link #resume}).
   */
  boolean isUnreadChunk(Message<byte[]> entry) {
    MessageIdAdv id = (MessageIdAdv) entry.getMessageId();
    MessageMetadata metadata = ((MessageImpl<byte[]>) entry).getMessageBuilder();
    return isChunk(metadata)
        && !floor.skipsEntry(id.getLedgerId(), id.getEntryId(), metadata.hasNumMessagesInBatch());
  }

  private static boolean isChunk(MessageMetadata metadata) {
    return metadata.hasNumChunksFromMsg() && metadata.getNumChunksFromMsg() > 1;
  }

  /** Where a Reader taking over from here starts: after the last entry split. */
  PartitionStart resume(int partitionIndex) {
    return floor.resume(start, partitionIndex);
  }

  /**
   * Adds the records of {@code entry} that were not read before to {@code out}; returns how many
   * messages the entry held (its flow-control permits). A chunk ({@link #isUnreadChunk}) fails.
   */
  int split(Message<byte[]> entry, List<SourceRecord> out) {
    MessageIdAdv id = (MessageIdAdv) entry.getMessageId();
    long ledger = id.getLedgerId();
    long entryId = id.getEntryId();
    int partition = id.getPartitionIndex();
    MessageMetadata metadata = ((MessageImpl<byte[]>) entry).getMessageBuilder();
    boolean batched = metadata.hasNumMessagesInBatch();
    int size = batched ? metadata.getNumMessagesInBatch() : 1;
    if (floor.skipsEntry(ledger, entryId, batched)) {
      return size; // read before (a start after it, or delivered again after a reconnection)
    }
    if (isChunk(metadata)) {
      throw new SourceException(
          "Message "
              + ledger
              + ":"
              + entryId
              + " of "
              + topic
              + " is one chunk of a chunked message, which only a Reader can join");
    }
    if (!batched) {
      out.add(SourceRecord.of(entry, topic));
      floor.passEntry(ledger, entryId);
      return 1;
    }
    int before = out.size();
    try {
      splitBatch(entry, ledger, entryId, partition, size, out);
    } catch (RuntimeException e) {
      // Not a batch this format describes (a foreign producer, or damaged in storage): splitting
      // it again after a restart would fail again, so it becomes one bad record, handled by the
      // source's policy, instead of stopping the app at every start.
      out.subList(before, out.size()).clear();
      addMalformed(entry, ledger, entryId, partition, size, e, out);
    }
    floor.passEntry(ledger, entryId);
    return size;
  }

  private void addMalformed(
      Message<byte[]> entry,
      long ledger,
      long entryId,
      int partition,
      int size,
      RuntimeException cause,
      List<SourceRecord> out) {
    if (size > 0 && floor.skips(ledger, entryId, size - 1)) {
      return; // its last record's position was passed before: taken care of by an earlier run
    }
    SourceRecord whole =
        new SourceRecord(
            topic,
            size > 0
                ? new BatchMessageIdImpl(ledger, entryId, partition, size - 1, size, null)
                : new MessageIdImpl(ledger, entryId, partition),
            null,
            entry.getValue(),
            entry.getPublishTime(),
            entry.getEventTime(),
            Map.of());
    decoder.malformed(
        whole,
        new SourceException(
            "Entry "
                + ledger
                + ":"
                + entryId
                + " of "
                + topic
                + " is not a well-formed batch of "
                + size
                + " messages ("
                + (cause instanceof SourceException ? cause.getMessage() : cause.toString())
                + "): it was written by a producer that does not follow Pulsar's batch format, or"
                + " damaged in storage; its bytes are the record's value",
            cause));
    out.add(whole);
  }

  private void splitBatch(
      Message<byte[]> entry,
      long ledger,
      long entryId,
      int partition,
      int size,
      List<SourceRecord> out) {
    byte[] batch = entry.getValue();
    Batch reader = new Batch(batch);
    long publishTime = entry.getPublishTime();
    long entryEventTime = entry.getEventTime();
    if (size <= 0) {
      throw new SourceException("its metadata gives " + size + " messages");
    }
    for (int i = 0; i < size; i++) {
      if (reader.remaining() < 4) {
        throw new SourceException("it ends before its message " + i);
      }
      int metadataSize = reader.int32();
      int metadataEnd = reader.pos + metadataSize;
      int payloadSize = -1;
      String key = null;
      Map<String, String> properties = null;
      long eventTime = entryEventTime;
      boolean nullValue = false;
      boolean compactedOut = false;
      while (reader.pos < metadataEnd) {
        long tag = reader.varint();
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        switch (field) {
          case 1 -> {
            int end = (int) reader.varint() + reader.pos;
            if (properties == null) {
              properties = new TreeMap<>();
            }
            readKeyValue(reader, end, properties);
          }
          case 2 -> key = reader.string();
          case 3 -> payloadSize = (int) reader.varint();
          case 4 -> compactedOut = reader.varint() != 0;
          case 5 -> eventTime = reader.varint();
          case 9 -> nullValue = reader.varint() != 0;
          default -> reader.skip(wire);
        }
      }
      if (payloadSize < 0 || payloadSize > batch.length - reader.pos) {
        throw new SourceException("the size of its message " + i + " does not fit the batch");
      }
      if (!compactedOut && !floor.skips(ledger, entryId, i)) {
        byte[] value =
            nullValue ? null : Arrays.copyOfRange(batch, reader.pos, reader.pos + payloadSize);
        out.add(
            new SourceRecord(
                topic,
                new BatchMessageIdImpl(ledger, entryId, partition, i, size, null),
                key,
                value,
                publishTime,
                eventTime,
                properties == null ? Map.of() : Collections.unmodifiableMap(properties)));
      }
      reader.pos += payloadSize;
    }
  }

  private static void readKeyValue(Batch reader, int end, Map<String, String> into) {
    String k = null;
    String v = null;
    while (reader.pos < end) {
      long tag = reader.varint();
      switch ((int) (tag >>> 3)) {
        case 1 -> k = reader.string();
        case 2 -> v = reader.string();
        default -> reader.skip((int) (tag & 7));
      }
    }
    if (k != null) {
      into.put(k, v == null ? "" : v);
    }
  }

  /** A cursor over a batch's bytes, reading the few protobuf forms its metadata uses. */
  private static final class Batch {
    private final byte[] bytes;
    int pos;

    Batch(byte[] bytes) {
      this.bytes = bytes;
    }

    int remaining() {
      return bytes.length - pos;
    }

    int int32() {
      int v =
          ((bytes[pos] & 0xff) << 24)
              | ((bytes[pos + 1] & 0xff) << 16)
              | ((bytes[pos + 2] & 0xff) << 8)
              | (bytes[pos + 3] & 0xff);
      pos += 4;
      return v;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = bytes[pos++];
        value |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw new IllegalStateException("malformed varint in a batch's metadata");
    }

    String string() {
      int len = (int) varint();
      String s = new String(bytes, pos, len, StandardCharsets.UTF_8);
      pos += len;
      return s;
    }

    void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> pos += (int) varint();
        case 5 -> pos += 4;
        default -> throw new IllegalStateException("unknown protobuf wire type " + wire);
      }
    }
  }
}
