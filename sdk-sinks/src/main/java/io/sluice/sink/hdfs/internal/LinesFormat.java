package io.sluice.sink.hdfs.internal;

import io.sluice.errors.SinkException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/**
 * JSON lines (one record per line), optionally gzip-compressed as one gzip member per file. Lines
 * are gathered in a 64 KiB buffer and handed to the file in blocks, which costs far less per record
 * than two small writes through the Hadoop stream stack (statistics, buffering) would.
 */
public final class LinesFormat<T> implements PartFormat<T, byte[]> {
  private static final int BLOCK = 1 << 16;

  private final Function<? super T, String> line;
  private final boolean gzip;

  public LinesFormat(Function<? super T, String> line, boolean gzip) {
    this.line = line;
    this.gzip = gzip;
  }

  @Override
  public String extension() {
    return gzip ? ".jsonl.gz" : ".jsonl";
  }

  @Override
  public byte[] encode(T record) {
    String text = line.apply(record);
    if (text == null) {
      throw new SinkException("the line mapping returned null");
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) { // intrinsic, vectorised scans
      throw new SinkException("the line holds a line break, which would split the record");
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public PartEncoder<byte[]> open(OutputStream out) throws IOException {
    return new Encoder(gzip ? new GZIPOutputStream(out, BLOCK) : out, gzip);
  }

  private static final class Encoder implements PartEncoder<byte[]> {
    private final OutputStream out;
    private final boolean gzip;
    private final byte[] block = new byte[BLOCK];
    private int used;

    Encoder(OutputStream out, boolean gzip) {
      this.out = out;
      this.gzip = gzip;
    }

    @Override
    public void write(byte[] line) throws IOException {
      if (line.length + 1 > BLOCK - used) {
        drain();
        if (line.length + 1 > BLOCK) {
          out.write(line);
          out.write('\n');
          return;
        }
      }
      System.arraycopy(line, 0, block, used, line.length);
      used += line.length;
      block[used++] = '\n';
    }

    private void drain() throws IOException {
      if (used > 0) {
        out.write(block, 0, used);
        used = 0;
      }
    }

    @Override
    public long pendingBytes() {
      // compressed, these bytes will be far fewer: gzip parts roll by their compressed size
      return gzip ? 0 : used;
    }

    @Override
    public void finish() throws IOException {
      drain();
      if (out instanceof GZIPOutputStream gz) {
        // close, not finish: it also frees the Deflater's native memory; closing the part's
        // stream beneath is a no-op (the part file closes its HDFS stream itself)
        gz.close();
      }
    }
  }
}
