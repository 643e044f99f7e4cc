package io.sluice.sink.hdfs.internal;

import java.io.IOException;
import java.io.OutputStream;

/**
 * How records become the bytes of a part file: JSON lines ({@link LinesFormat}) or Parquet ({@link
 * ParquetPartFormat}). Encoding is split in two so that a bad record is found ({@link #encode})
 * before anything of it reaches a file. Implementations are immutable and shared by every writer of
 * a sink; the encoders they open belong to one part file.
 *
 * @param <T> the sink's record type
 * @param <R> a record encoded and checked, ready to be written
 */
public interface PartFormat<T, R> {
  /** The committed files' extension, e.g. {@code .jsonl.gz}. */
  String extension();

  /** Maps and checks one record; throws (a bad record) before anything is written. */
  R encode(T record);

  /** A new encoder writing one part file's content into {@code out}. */
  PartEncoder<R> open(OutputStream out) throws IOException;
}
