package io.sluice.sink.hdfs.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;

/**
 * One open, hidden part file of a bucket. Every byte of the file is also kept in memory until the
 * file is durably closed, so a file whose write pipeline broke (data node or name node gone) can be
 * written again whole into a new file once the cluster is back: bytes already handed to a broken
 * HDFS stream are lost with it. Memory is bounded by the rolling policy's part size. Owned by its
 * writer's processing thread until it is handed to the writer's finisher to be closed, which then
 * owns it.
 */
final class PartFile<R> {
  private ByteArrayOutputStream retained = new ByteArrayOutputStream(1 << 16);
  private final PartEncoder<R> encoder;
  private final Batch batch;
  private final long openedAtNanos = System.nanoTime();
  private volatile Path path; // replaced by a rewrite on the finisher
  private FSDataOutputStream out;
  private IOException failure;
  private boolean encodingFinished;
  private long size;

  private final boolean retain;

  /**
   * @param batch the batch the file belongs to (names a rewritten file)
   * @param retain whether to keep the bytes for a rewrite: pointless on a local file system, whose
   *     streams do not break and heal the way HDFS write pipelines do
   */
  PartFile(Batch batch, Path path, FSDataOutputStream out, PartFormat<?, R> format, boolean retain)
      throws IOException {
    this.batch = batch;
    this.path = path;
    this.out = out;
    this.retain = retain;
    this.encoder = format.open(new Tee());
  }

  Path path() {
    return path;
  }

  Batch batch() {
    return batch;
  }

  /** Appends one encoded record; never throws for the file system (it marks the file broken). */
  void write(R encoded) {
    try {
      encoder.write(encoded);
    } catch (IOException e) {
      throw new IllegalStateException("the encoder's stream cannot fail", e);
    }
  }

  /** Bytes of the file so far (compressed, if gzip), including those the encoder still holds. */
  long size() {
    return encodingFinished ? size : size + encoder.pendingBytes();
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

  /**
   * Moves to {@code to}, a new empty file: writes everything kept so far into it. Only for a {@link
   * #rewritable} part (the caller checks before it creates the new file).
   */
  void replaceWith(Path to, FSDataOutputStream fresh) throws IOException {
    try {
      out.close();
    } catch (IOException | RuntimeException e) {
      // the broken stream: its file is deleted by the caller
    }
    path = to;
    out = fresh;
    retained.writeTo(fresh);
    fresh.hflush();
    failure = null; // only now: if the rewrite broke too, the next try rewrites again
  }

  /** Whether {@link #replaceWith} can work: the bytes were kept. */
  boolean rewritable() {
    return retain;
  }

  /**
   * Lets the encoder write what ends the file (once), syncs and closes it: after this it is
   * durable.
   */
  void syncAndClose() throws IOException {
    if (!encodingFinished) {
      encoder.finish();
      encodingFinished = true;
    }
    if (failure != null) {
      throw failure;
    }
    try {
      out.hsync();
      out.close();
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      }
      throw e;
    }
  }

  /**
   * Frees the memory copy: only once the file is durably closed. The buffer itself goes (a reset
   * would keep its capacity, up to twice the part size, for as long as the batch lists the part).
   */
  void release() {
    retained = new ByteArrayOutputStream(0);
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
