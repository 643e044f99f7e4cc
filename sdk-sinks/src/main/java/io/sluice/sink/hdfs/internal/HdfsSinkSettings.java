package io.sluice.sink.hdfs.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The validated settings of one HDFS sink, shared by its writers and its committer.
 *
 * @param name the sink's name
 * @param base the output directory; {@code file:} paths use the raw local file system
 * @param conf Hadoop configuration (copied per file system)
 * @param line maps a record to one line (no newline)
 * @param bucket maps a record to its sub-directory, e.g. {@code orders/2024-05-01/13}
 */
public record HdfsSinkSettings<T>(
    String name,
    URI base,
    Configuration conf,
    Function<? super T, String> line,
    Function<? super T, String> bucket) {

  /**
   * The file system of {@link #base}. Local paths get the raw local file system: it supports hflush
   * and writes no .crc files (the checksummed one shows 0 bytes after hflush).
   */
  public FileSystem fileSystem() {
    try {
      Configuration c = new Configuration(conf);
      if (base.getScheme() == null || "file".equals(base.getScheme())) {
        return FileSystem.getLocal(c).getRawFileSystem();
      }
      return FileSystem.newInstance(base, c);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Sink " + name + ": cannot open the file system of " + base, e);
    }
  }

  public Path basePath() {
    return new Path(base);
  }

  /** Where a batch's list of files waits for the commit. */
  public Path manifest(String batch) {
    return new Path(basePath(), "_sluice/" + name.replaceAll("[^A-Za-z0-9_.-]", "_") + "/" + batch);
  }

  /** The hidden name a file has until its batch is committed. */
  public static String inProgressName(String batch, int n) {
    return ".part-" + batch + "-" + n + ".inprogress";
  }

  /** The visible name a committed file gets. */
  public static String finalName(String batch, int n) {
    return "part-" + batch + "-" + n + ".jsonl";
  }
}
