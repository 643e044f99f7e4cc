package io.sluice.sink.hdfs.internal;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.OutputScope;
import io.sluice.sink.internal.SinkMetrics;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renames a batch's files to their visible names, or deletes them on abort; see {@code HdfsSink}.
 * Runs on the commit thread (and the start-up thread during recovery, an abort thread at stop).
 *
 * <p>An abort knows a batch by its id only (its writer registered the id before the first file), so
 * its files are found by name under the base path. One recursive listing serves a whole run of
 * aborts (recovery, stop): the writers that could add files to those batches are gone then, and a
 * commit, after which they may exist again, drops it.
 */
public final class HdfsSinkCommitter implements Committer {
  private static final Logger LOG = LoggerFactory.getLogger(HdfsSinkCommitter.class);

  /** An in-progress file's name, {@code .part-<batch>-<n>…}; group 1 is the batch id. */
  private static final Pattern HIDDEN = Pattern.compile("\\.part-(w\\d+-[0-9a-f]{16}-\\d+)-\\d+");

  private final HdfsSinkSettings<?> settings;
  private final FileSystem fs;
  private final SinkMetrics metrics;
  private final SuccessMarkers markers;
  private final OpenBatches openBatches;

  /** In-progress files by batch id, listed once for a run of aborts; null when not listed. */
  private Map<String, List<Path>> hidden;

  public HdfsSinkCommitter(HdfsSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.fs = settings.fileSystem();
    this.metrics = SinkMetrics.of(context, settings.name());
    this.markers =
        settings.partitionCommit() == null
            ? null
            : new SuccessMarkers(
                settings.name(), fs, settings.basePath(), settings.partitionCommit());
    this.openBatches = new OpenBatches(fs, settings.basePath(), OutputScope.of(context));
  }

  @Override
  public void commit(Committable committable) {
    synchronized (this) {
      hidden = null;
    }
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
              ? listHidden().getOrDefault(batch.id().toString(), List.of())
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
      openBatches.ended(batch.id().toString());
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
  public synchronized void abort(Committable committable) {
    // A pending handle (the batch id alone: killed before the barrier) or, in principle, a
    // committable: either way the files are found by name.
    String batch = BatchFiles.of(committable, settings.name()).id().toString();
    try {
      delete(batch);
    } catch (IOException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": abort of batch " + batch + " failed: " + e, e);
    }
  }

  /** Deletes a batch's in-progress files, then forgets it; false if it had none. */
  private boolean delete(String batch) throws IOException {
    if (hidden == null) {
      hidden = listHidden();
    }
    List<Path> files = hidden.getOrDefault(batch, List.of());
    for (Path p : files) {
      fs.delete(p, false);
    }
    hidden.remove(batch);
    openBatches.ended(batch);
    return !files.isEmpty();
  }

  /**
   * Ends the batches this app and sink started ({@link OpenBatches}) that no checkpoint holds any
   * more: at start-up the restored batches are committed and the pending ones aborted, so a batch
   * still listed was started by a run whose state directory was lost. Its hidden files are deleted;
   * a listed batch without any (committed, then killed before it was forgotten) is only forgotten.
   * Looks for files only when such a batch exists.
   */
  @Override
  public synchronized int abortOrphans(Collection<Committable> restored) {
    Set<String> keep = new HashSet<>();
    restored.forEach(c -> keep.add(BatchFiles.of(c, settings.name()).id().toString()));
    int aborted = 0;
    try {
      for (String batch : openBatches.listed()) {
        if (keep.contains(batch)) {
          openBatches.ended(batch); // committed by now
        } else if (delete(batch)) {
          aborted++;
        }
      }
    } catch (IOException e) {
      throw new SinkException(
          "Sink "
              + settings.name()
              + ": ending the batches an earlier run left under "
              + openBatches.dir()
              + " failed: "
              + e,
          e);
    } finally {
      hidden = null;
    }
    if (aborted > 0) {
      LOG.info(
          "sink {}: deleted the hidden files of {} batches an earlier run left",
          settings.name(),
          aborted);
    }
    return aborted;
  }

  /** Every in-progress file under the base path, by batch id. */
  private Map<String, List<Path>> listHidden() throws IOException {
    Map<String, List<Path>> found = new HashMap<>();
    if (!fs.exists(settings.basePath())) {
      return found;
    }
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(settings.basePath(), true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      Matcher m = HIDDEN.matcher(p.getName());
      if (m.lookingAt() && p.getName().endsWith(".inprogress")) {
        found.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(p);
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
