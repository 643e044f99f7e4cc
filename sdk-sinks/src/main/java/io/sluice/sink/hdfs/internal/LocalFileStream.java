package io.sluice.sink.hdfs.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.Syncable;

/**
 * A new local file as a syncable Hadoop stream, opened without Hadoop's raw local file system:
 * without the native Hadoop library (the usual case) its {@code create} sets the file's mode by
 * forking {@code chmod}, some milliseconds per part file. Here the file is created with the
 * process's umask (as Hadoop's default mode would give), writes are gathered in a 64 KiB buffer,
 * {@code hflush} hands them to the OS and {@code hsync} forces them and the file's metadata to
 * disk, as the raw local file system's hsync does. Owned by one thread at a time.
 */
final class LocalFileStream extends OutputStream implements Syncable {
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);

  private LocalFileStream(FileChannel channel) {
    this.channel = channel;
  }

  /** Creates (or truncates) the local file {@code path} and its missing parent directories. */
  static FSDataOutputStream create(Path path) throws IOException {
    java.nio.file.Path file = java.nio.file.Path.of(path.toUri().getPath());
    Files.createDirectories(file.getParent());
    FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    return new FSDataOutputStream(new LocalFileStream(channel), null);
  }

  @Override
  public void write(int b) throws IOException {
    if (!buffer.hasRemaining()) {
      drain();
    }
    buffer.put((byte) b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len > buffer.remaining()) {
      drain();
      if (len > buffer.capacity()) {
        ByteBuffer direct = ByteBuffer.wrap(b, off, len);
        while (direct.hasRemaining()) {
          channel.write(direct);
        }
        return;
      }
    }
    buffer.put(b, off, len);
  }

  private void drain() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  @Override
  public void flush() throws IOException {
    drain();
  }

  @Override
  public void hflush() throws IOException {
    drain();
  }

  @Override
  public void hsync() throws IOException {
    drain();
    channel.force(true);
  }

  @Override
  public void close() throws IOException {
    if (channel.isOpen()) {
      try {
        drain();
      } finally {
        channel.close();
      }
    }
  }
}
