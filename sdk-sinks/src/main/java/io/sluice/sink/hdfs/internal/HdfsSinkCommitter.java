package io.sluice.sink.hdfs.internal;

import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkContext;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.SinkMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Renames a batch's files to their visible names, or deletes them on abort; see {@code HdfsSink}.
 * Runs on the checkpoint thread (and the start-up thread during recovery).
 */
public final class HdfsSinkCommitter implements Committer {
  private final HdfsSinkSettings<?> settings;
  private final FileSystem fs;
  private final SinkMetrics metrics;

  public HdfsSinkCommitter(HdfsSinkSettings<?> settings, SinkContext context) {
    this.settings = settings;
    this.fs = settings.fileSystem();
    this.metrics = SinkMetrics.of(context, settings.name());
  }

  @Override
  public void commit(Committable committable) {
    metrics.timeCommit(() -> rename(committable));
  }

  private void rename(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    Path manifest = settings.manifest(batch);
    try {
      if (!fs.exists(manifest)) {
        if (hasFinalFiles(batch)) {
          return; // committed before: the manifest is deleted last
        }
        throw new SinkException(
            "Sink "
                + settings.name()
                + ": batch "
                + batch
                + " of a completed checkpoint has neither a manifest nor committed files under "
                + settings.base());
      }
      for (Path inProgress : readManifest(manifest)) {
        Path done = new Path(inProgress.getParent(), finalNameOf(inProgress));
        if (fs.exists(inProgress)) {
          if (!fs.rename(inProgress, done) && !fs.exists(done)) {
            throw new IOException("cannot rename " + inProgress + " to " + done);
          }
        } else if (!fs.exists(done)) {
          throw new SinkException(
              "Sink " + settings.name() + ": file " + inProgress + " of batch " + batch + " lost");
        }
      }
      fs.delete(manifest, false);
    } catch (IOException e) {
      // The runtime retries the commit (it is idempotent) until it succeeds.
      metrics.error();
      throw new SinkException(
          "Sink " + settings.name() + ": commit of batch " + batch + " failed: " + e, e);
    }
  }

  @Override
  public void abort(Committable committable) {
    String batch = BatchId.of(committable, settings.name()).toString();
    try {
      // Without a manifest (killed before the barrier) the files are found by name.
      String hidden = ".part-" + batch + "-";
      if (fs.exists(settings.basePath())) {
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(settings.basePath(), true);
        List<Path> doomed = new ArrayList<>();
        while (it.hasNext()) {
          Path p = it.next().getPath();
          if (p.getName().startsWith(hidden) && p.getName().endsWith(".inprogress")) {
            doomed.add(p);
          }
        }
        for (Path p : doomed) {
          fs.delete(p, false);
        }
      }
      fs.delete(settings.manifest(batch), false);
      fs.delete(settings.manifest(batch).suffix(".tmp"), false);
    } catch (IOException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": abort of batch " + batch + " failed: " + e, e);
    }
  }

  private boolean hasFinalFiles(String batch) throws IOException {
    if (!fs.exists(settings.basePath())) {
      return false;
    }
    String prefix = "part-" + batch + "-";
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(settings.basePath(), true);
    while (it.hasNext()) {
      if (it.next().getPath().getName().startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private List<Path> readManifest(Path manifest) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (InputStream in = fs.open(manifest)) {
      in.transferTo(bytes);
    }
    List<Path> paths = new ArrayList<>();
    for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        paths.add(fs.makeQualified(new Path(line)));
      }
    }
    return paths;
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
