package io.sluice.sink.hdfs.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
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
 * @param format how records become part files (JSON lines, gzip or not, or Parquet)
 * @param bucket maps a record to its sub-directory, e.g. {@code orders/2024-05-01/13}
 * @param maxPartBytes a part file is closed (rolled) once it holds this many bytes
 * @param maxPartAge a part file is closed (rolled) at its next record once it is this old
 * @param retryTimeout how long a failing file system call is retried
 * @param retryBackoff first backoff between retries (doubles, up to 5 s)
 * @param partitionCommit success markers for time partitions, or null for none
 */
public record HdfsSinkSettings<T>(
    String name,
    URI base,
    Configuration conf,
    PartFormat<T, ?> format,
    Function<? super T, String> bucket,
    long maxPartBytes,
    Duration maxPartAge,
    Duration retryTimeout,
    Duration retryBackoff,
    PartitionCommit<T> partitionCommit) {

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

  /** The hidden name a file has until its batch is committed. */
  public String inProgressName(String batch, int n) {
    return "." + finalName(batch, n) + ".inprogress";
  }

  /** The visible name a committed file gets. */
  public String finalName(String batch, int n) {
    return "part-" + batch + "-" + n + format.extension();
  }

  /** The visible name of an in-progress file (older names carry no extension: JSON lines). */
  public static String finalNameOf(String inProgress) {
    String n = inProgress.substring(1, inProgress.length() - ".inprogress".length());
    return n.contains(".jsonl") || n.endsWith(".parquet") ? n : n + ".jsonl";
  }
}
