package io.sluice.sink.hdfs.internal;

import java.io.IOException;

/**
 * Writes encoded records into one part file's stream; owned by that part file. The stream it was
 * opened on never throws (see {@link PartFile}), so neither do these methods in practice.
 */
public interface PartEncoder<R> {
  void write(R encoded) throws IOException;

  /** Bytes encoded but still held here (not yet handed to the stream). */
  long pendingBytes();

  /** Hands everything over, including what ends a file (gzip trailer, Parquet footer); once. */
  void finish() throws IOException;
}
