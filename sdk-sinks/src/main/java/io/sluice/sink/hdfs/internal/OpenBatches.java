package io.sluice.sink.hdfs.internal;

import io.sluice.sink.internal.OutputScope;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The batches of one app (or shard) and sink that were started and not yet ended, kept in the file
 * system itself: an empty file {@code <base>/.sluice/<scope>/<batch>} per batch ({@link
 * OutputScope}), created by the writer before the batch's first part file and deleted by the
 * committer once the batch is committed or aborted. The local state store lists the same batches as
 * pending handles; this list outlives the state directory, so a start after the directory was lost
 * still finds what its earlier runs left ({@code HdfsSinkCommitter#abortOrphans}). Its directory is
 * hidden, as the part files are until committed.
 */
final class OpenBatches {
  static final String DIR = ".sluice";

  private final FileSystem fs;
  private final Path dir;

  OpenBatches(FileSystem fs, Path base, String scope) {
    this.fs = fs;
    this.dir = new Path(new Path(base, DIR), scope);
  }

  Path dir() {
    return dir;
  }

  /** Records a batch as started (idempotent). */
  void started(String batch) throws IOException {
    fs.create(new Path(dir, batch), true).close();
  }

  /** Forgets a batch (idempotent). */
  void ended(String batch) throws IOException {
    fs.delete(new Path(dir, batch), false);
  }

  /** The batches started and not ended. */
  List<String> listed() throws IOException {
    List<String> batches = new ArrayList<>();
    FileStatus[] files;
    try {
      files = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return batches;
    }
    for (FileStatus f : files) {
      batches.add(f.getPath().getName());
    }
    return batches;
  }
}
