package io.sluice.sink.hdfs.internal;

import io.micrometer.core.instrument.Counter;
import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes the current batch into one hidden in-progress file per bucket; at the barrier syncs and
 * closes them and writes the batch's manifest (see {@code HdfsSink}). Runs on its slot group's
 * processing thread only; it owns every field.
 */
public final class HdfsSinkWriter<T> implements SinkWriter<T> {
  private final HdfsSinkSettings<T> settings;
  private final SinkContext context;
  private final FileSystem fs;
  private final Counter written;
  private final Map<String, FSDataOutputStream> open = new LinkedHashMap<>();
  private final Map<String, Path> files = new LinkedHashMap<>();
  private BatchId batch;
  private boolean registered;

  public HdfsSinkWriter(HdfsSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    this.fs = settings.fileSystem();
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
    this.written =
        Counter.builder("sluice.sink.records")
            .tag("app", context.appName())
            .tag("sink", settings.name())
            .register(context.meterRegistry());
  }

  @Override
  public void write(T value) {
    String bucket = settings.bucket().apply(value);
    String line = settings.line().apply(value);
    if (bucket == null || line == null) {
      throw new SinkException(
          "Sink " + settings.name() + ": the bucket or line mapping returned null for " + value);
    }
    try {
      FSDataOutputStream out = open.get(bucket);
      if (out == null) {
        out = create(bucket);
      }
      out.write(line.getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    } catch (IOException e) {
      throw new SinkException(
          "Sink " + settings.name() + ": cannot write to bucket " + bucket + ": " + e, e);
    }
    written.increment();
  }

  private FSDataOutputStream create(String bucket) throws IOException {
    if (!registered) {
      // Before the first file exists: after a crash, recovery aborts (deletes) what it cannot
      // commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    Path file =
        new Path(
            new Path(settings.basePath(), bucket),
            HdfsSinkSettings.inProgressName(batch.toString(), files.size()));
    FSDataOutputStream out = fs.create(file, true);
    open.put(bucket, out);
    files.put(bucket, file);
    return out;
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    if (files.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    try {
      for (FSDataOutputStream out : open.values()) {
        out.hsync();
        out.close();
      }
      open.clear();
      StringBuilder manifest = new StringBuilder();
      files.values().forEach(p -> manifest.append(p.toUri().getPath()).append('\n'));
      Path m = settings.manifest(batch.toString());
      Path tmp = m.suffix(".tmp");
      try (FSDataOutputStream out = fs.create(tmp, true)) {
        out.write(manifest.toString().getBytes(StandardCharsets.UTF_8));
        out.hsync();
      }
      // The manifest appears whole or not at all.
      fs.delete(m, false);
      if (!fs.rename(tmp, m)) {
        throw new IOException("cannot rename " + tmp + " to " + m);
      }
    } catch (IOException e) {
      // Closed files cannot take more rows: the prepared data is lost, the app recovers.
      return CompletableFuture.failedFuture(
          new SinkException(
              "Sink " + settings.name() + ": cannot close batch " + batch + ": " + e, e));
    }
    Committable prepared = batch.toCommittable();
    files.clear();
    batch = batch.next();
    registered = false;
    return CompletableFuture.completedFuture(prepared);
  }

  @Override
  public void close() {
    for (FSDataOutputStream out : open.values()) {
      try {
        out.close();
      } catch (IOException e) {
        // the files belong to a batch recovery aborts
      }
    }
    open.clear();
    try {
      fs.close();
    } catch (IOException e) {
      // closing: nothing left to lose
    }
  }
}
