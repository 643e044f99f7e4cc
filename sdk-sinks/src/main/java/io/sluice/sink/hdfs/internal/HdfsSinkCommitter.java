package io.sluice.sink.hdfs.internal;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.SinkMetrics;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Renames a batch's files to their visible names, or deletes them on abort; see {@code HdfsSink}.
 * Runs on the commit thread (and the start-up thread during recovery).
 */
public final class HdfsSinkCommitter implements Committer {
  private final HdfsSinkSettings<?> settings;
  private final FileSystem fs;
  private final SinkMetrics metrics;
  private final SuccessMarkers markers;

  public HdfsSinkCommitter(HdfsSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.fs = settings.fileSystem();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.markers =
        settings.partitionCommit() == null
            ? null
            : new SuccessMarkers(
                settings.name(), fs, settings.basePath(), settings.partitionCommit().buckets());
  }

  @Override
  public void commit(Committable committable) {
    metrics.timeCommit(() -> rename(committable));
  }

  private void rename(Committable committable) {
    BatchFiles batch = BatchFiles.of(committable, settings.name());
    Optional<PartitionReport> report = PartitionReport.of(committable.bytes());
    try {
      // A batch id alone comes from a checkpoint of an earlier version, which kept the names in a
      // manifest file: its files, if not committed yet, are found by name.
      List<Path> files =
          batch.files().isEmpty() && report.isEmpty()
              ? hiddenFilesOf(batch.id().toString())
              : batch.paths(settings.basePath());
      for (Path inProgress : files) {
        Path done = new Path(inProgress.getParent(), finalNameOf(inProgress));
        if (renamed(inProgress, done)) {
          continue;
        }
        // A replayed commit: the file was renamed before (a rename is atomic).
        if (!fs.exists(done)) {
          if (fs.exists(inProgress)) {
            throw new IOException("cannot rename " + inProgress + " to " + done);
          }
          throw new CommitLostException(
              "Sink "
                  + settings.name()
                  + ": file "
                  + inProgress
                  + " of batch "
                  + batch.id()
                  + " of a completed checkpoint is lost: neither it nor "
                  + done
                  + " exists. Something other than this sink deleted or moved it.");
        }
      }
      if (markers != null && report.isPresent()) {
        markers.committed(report.get());
      }
    } catch (IOException e) {
      // The runtime retries the commit (it is idempotent) until it succeeds.
      metrics.error();
      throw new SinkException(
          "Sink " + settings.name() + ": commit of batch " + batch.id() + " failed: " + e, e);
    }
  }

  /** One name node call in the usual case; false when the source is not there (any FS). */
  private boolean renamed(Path from, Path to) throws IOException {
    try {
      return fs.rename(from, to);
    } catch (FileNotFoundException e) {
      return false;
    }
  }

  @Override
  public Committable pendingHandleOf(Committable committable) {
    return BatchFiles.handleOf(committable, settings.name());
  }

  @Override
  public void abort(Committable committable) {
    // A pending handle (the batch id alone: killed before the barrier) or, in principle, a
    // committable: either way the files are found by name.
    String batch = BatchFiles.of(committable, settings.name()).id().toString();
    try {
      for (Path p : hiddenFilesOf(batch)) {
        fs.delete(p, false);
      }
    } catch (IOException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": abort of batch " + batch + " failed: " + e, e);
    }
  }

  /** The batch's in-progress files, wherever they are under the base path. */
  private List<Path> hiddenFilesOf(String batch) throws IOException {
    List<Path> found = new ArrayList<>();
    if (!fs.exists(settings.basePath())) {
      return found;
    }
    String hidden = ".part-" + batch + "-";
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(settings.basePath(), true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (p.getName().startsWith(hidden) && p.getName().endsWith(".inprogress")) {
        found.add(p);
      }
    }
    return found;
  }

  private static String finalNameOf(Path inProgress) {
    return HdfsSinkSettings.finalNameOf(inProgress.getName());
  }

  @Override
  public void close() {
    try {
      fs.close();
    } catch (IOException e) {
      // closing: nothing left to lose
    }
  }
}
