package io.sluice.sink.hdfs.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

/**
 * One open, hidden part file of a bucket. Every byte of the file is also kept in memory until the
 * file is durably closed, so a file whose write pipeline broke (data node or name node gone) can be
 * written again whole into a new file once the cluster is back: bytes already handed to a broken
 * HDFS stream are lost with it. Memory is bounded by the rolling policy's part size. Owned by its
 * writer's processing thread.
 */
final class PartFile {
  private final ByteArrayOutputStream retained = new ByteArrayOutputStream(1 << 16);
  private final OutputStream encoder;
  private final long openedAtNanos = System.nanoTime();
  private Path path;
  private FSDataOutputStream out;
  private IOException failure;
  private boolean encodingFinished;
  private long size;

  private final boolean retain;

  /**
   * @param retain whether to keep the bytes for a rewrite: pointless on a local file system, whose
   *     streams do not break and heal the way HDFS write pipelines do
   */
  PartFile(Path path, FSDataOutputStream out, boolean gzip, boolean retain) throws IOException {
    this.path = path;
    this.out = out;
    this.retain = retain;
    OutputStream tee = new Tee();
    this.encoder = gzip ? new GZIPOutputStream(tee, 1 << 16) : tee;
  }

  Path path() {
    return path;
  }

  /** Appends one line; never throws for the file system (a failure marks the file broken). */
  void writeLine(byte[] line) {
    try {
      encoder.write(line);
      encoder.write('\n');
    } catch (IOException e) {
      throw new IllegalStateException("the in-memory encoder cannot fail", e);
    }
  }

  /** Bytes of the file so far (compressed, if gzip). */
  long size() {
    return size;
  }

  long ageNanos() {
    return System.nanoTime() - openedAtNanos;
  }

  boolean broken() {
    return failure != null;
  }

  IOException failure() {
    return failure;
  }

  void markBroken(IOException e) {
    if (failure == null) {
      failure = e;
    }
  }

  /** Moves to {@code to}, a new empty file: writes everything kept so far into it. */
  void replaceWith(Path to, FSDataOutputStream fresh) throws IOException {
    if (!retain) {
      throw new IOException("cannot write " + path + " again: its bytes were not kept", failure);
    }
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      // the broken stream: its file is deleted by the caller
    }
    path = to;
    out = fresh;
    failure = null;
    retained.writeTo(fresh);
    fresh.hflush();
  }

  /** Writes the gzip trailer (once), syncs and closes the file: after this it is durable. */
  void syncAndClose() throws IOException {
    if (!encodingFinished) {
      if (encoder instanceof GZIPOutputStream gz) {
        gz.finish();
      }
      encodingFinished = true;
    }
    if (failure != null) {
      throw failure;
    }
    try {
      out.hsync();
      out.close();
    } catch (IOException e) {
      markBroken(e);
      throw e;
    }
  }

  /** Frees the memory copy: only once the file is durably closed. */
  void release() {
    retained.reset();
  }

  void closeQuietly() {
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      // left for abort or recovery
    }
  }

  /** Writes to the memory copy always and to HDFS while the stream works. */
  private final class Tee extends OutputStream {
    @Override
    public void write(int b) {
      size++;
      if (retain) {
        retained.write(b);
      }
      if (failure == null) {
        try {
          out.write(b);
        } catch (IOException e) {
          failure = e;
        }
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      size += len;
      if (retain) {
        retained.write(b, off, len);
      }
      if (failure == null) {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          failure = e;
        }
      }
    }
  }
}
