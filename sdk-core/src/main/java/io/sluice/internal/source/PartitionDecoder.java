package io.sluice.internal.source;

import io.sluice.internal.group.RecordBatch;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Decodes one partition's records on the fetcher thread before they are published (fetch → decode →
 * publish), so decoding runs in parallel across partitions and the processing thread gets values. A
 * record that cannot be decoded is handed on with its error: the processing thread applies the
 * source's bad-record policy in the partition's order.
 */
public final class PartitionDecoder {
  private final RecordDecoder<?> decoder;
  private final int maxRecordBytes;

  /** Records standing for an entry that could not be split, with why; rare, so usually empty. */
  private final Map<SourceRecord, Exception> malformed = new IdentityHashMap<>();

  /**
   * @param decoder the source's decoder, or {@code null} to hand the operators the records
   * @param maxRecordBytes the largest payload accepted; a larger one is a bad record
   */
  public PartitionDecoder(RecordDecoder<?> decoder, int maxRecordBytes) {
    this.decoder = decoder;
    this.maxRecordBytes = maxRecordBytes;
  }

  /** Marks {@code record} (an entry that could not be split) as bad when it is filled. */
  void malformed(SourceRecord record, Exception error) {
    malformed.put(record, error);
  }

  /** Fills slot {@code i} of {@code batch} with {@code record}, decoded. */
  public void fill(RecordBatch batch, int i, SourceRecord record) {
    batch.read(i, record);
    if (!malformed.isEmpty()) {
      Exception error = malformed.remove(record);
      if (error != null) {
        batch.decoded(i, null, error);
        return;
      }
    }
    int size = record.value().length;
    if (size > maxRecordBytes) {
      batch.decoded(
          i,
          null,
          new IllegalArgumentException(
              "oversized payload: "
                  + size
                  + " bytes, above the source's maxRecordBytes of "
                  + maxRecordBytes
                  + " (PulsarSource.maxRecordBytes raises it)"));
      return;
    }
    if (decoder == null) {
      return;
    }
    try {
      Object value = decoder.decode(record);
      batch.decoded(
          i,
          value,
          value == null ? new IllegalArgumentException("the decoder returned null") : null);
    } catch (Exception | StackOverflowError e) {
      batch.decoded(i, null, e);
    }
  }
}
