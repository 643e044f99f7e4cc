package io.sluice.sink.hdfs.internal;

import io.sluice.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the current batch into hidden in-progress part files, one open per bucket; rolls a part
 * (sync + close) when it reaches the size or age limit, and at the barrier closes every open part
 * and writes the batch's manifest (see {@code HdfsSink}). A part whose stream broke is written
 * again whole into a new file (see {@link PartFile}); file system calls are retried for up to the
 * retry timeout while the processing thread waits (backpressure). Runs on its slot group's
 * processing thread only; it owns every field.
 */
public final class HdfsSinkWriter<T> implements SinkWriter<T> {
  private static final Logger LOG = LoggerFactory.getLogger(HdfsSinkWriter.class);

  private final HdfsSinkSettings<T> settings;
  private final SinkContext context;
  private final FileSystem fs;
  private final SinkMetrics metrics;
  private final Retry retry;
  private final boolean local;
  private final Map<String, PartFile> open = new LinkedHashMap<>();

  /** Parts of the current batch that are durably closed; they go into its manifest. */
  private final List<Path> closed = new ArrayList<>();

  private BatchId batch;
  private boolean registered;
  private int nextPart;

  public HdfsSinkWriter(HdfsSinkSettings<T> settings, SinkContext context) {
    this.settings = settings;
    this.context = context;
    this.fs = settings.fileSystem();
    this.local = "file".equals(fs.getUri().getScheme());
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
    this.batch = new BatchId(context.writerIndex(), BatchId.newToken(), 1);
  }

  @Override
  public void write(T value) {
    String bucket;
    byte[] line;
    try {
      bucket = settings.bucket().apply(value);
      String text = settings.line().apply(value);
      if (bucket == null || text == null) {
        throw new SinkException("the bucket or line mapping returned null");
      }
      if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
        throw new SinkException("the line holds a line break, which would split the record");
      }
      line = text.getBytes(StandardCharsets.UTF_8);
    } catch (RuntimeException e) {
      context.badRecord(value, e);
      return;
    }
    PartFile part = open.get(bucket);
    if (part == null) {
      part = call("creating a part file in bucket " + bucket, () -> create(bucket));
      open.put(bucket, part);
    }
    part.writeLine(line);
    metrics.record();
    metrics.bytes(line.length + 1L);
    if (part.broken()) {
      PartFile p = part;
      call("rewriting broken part " + p.path(), () -> rewrite(p));
    }
    if (part.size() >= settings.maxPartBytes()
        || part.ageNanos() >= settings.maxPartAge().toNanos()) {
      roll(bucket, part);
    }
  }

  private PartFile create(String bucket) throws IOException {
    if (!registered) {
      // Before the first file exists: after a crash, recovery aborts (deletes) what it cannot
      // commit.
      context.registerPending(batch.toCommittable());
      registered = true;
    }
    Path file = newPartPath(new Path(settings.basePath(), bucket));
    return new PartFile(file, fs.create(file, true), settings.gzip(), !local);
  }

  private Path newPartPath(Path dir) {
    return new Path(dir, settings.inProgressName(batch.toString(), nextPart++));
  }

  /** Writes a broken part's bytes into a new file and deletes the broken one. */
  private Void rewrite(PartFile part) throws IOException {
    Path old = part.path();
    Path fresh = newPartPath(old.getParent());
    LOG.warn(
        "sink {}: part {} broke ({}); writing its {} bytes again into {}",
        settings.name(),
        old,
        part.failure(),
        part.size(),
        fresh);
    part.replaceWith(fresh, fs.create(fresh, true));
    try {
      fs.delete(old, false);
    } catch (IOException e) {
      // Hidden and named after the batch: abort finds it, readers skip it.
      LOG.warn("sink {}: cannot delete broken part {}: {}", settings.name(), old, e.toString());
    }
    return null;
  }

  /** Closes a part durably; a part that breaks on the way is written again first. */
  private Void syncAndClose(PartFile part) throws IOException {
    if (part.broken()) {
      rewrite(part);
    }
    part.syncAndClose();
    return null;
  }

  private void roll(String bucket, PartFile part) {
    call("closing part " + part.path(), () -> syncAndClose(part));
    open.remove(bucket);
    closed.add(part.path());
    part.release();
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    // Throwing (after the retry timeout) fails only this checkpoint: open and closed parts stay,
    // so the next barrier finishes the same batch.
    for (Iterator<Map.Entry<String, PartFile>> it = open.entrySet().iterator(); it.hasNext(); ) {
      PartFile part = it.next().getValue();
      call("closing part " + part.path(), () -> syncAndClose(part));
      it.remove();
      closed.add(part.path());
      part.release();
    }
    if (closed.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    call("writing the manifest of batch " + batch, this::writeManifest);
    Committable prepared = batch.toCommittable();
    closed.clear();
    batch = batch.next();
    registered = false;
    nextPart = 0;
    return CompletableFuture.completedFuture(prepared);
  }

  private Void writeManifest() throws IOException {
    StringBuilder manifest = new StringBuilder();
    closed.forEach(p -> manifest.append(p.toUri().getPath()).append('\n'));
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
    return null;
  }

  private interface IoCall<R> {
    R call() throws IOException;
  }

  private <R> R call(String what, IoCall<R> call) {
    String label = "Sink " + settings.name() + ": " + what;
    try {
      return retry.run(
          label,
          () -> {
            try {
              return call.call();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          },
          e ->
              e instanceof UncheckedIOException u
                  && !(u.getCause() instanceof AccessControlException));
    } catch (UncheckedIOException e) {
      throw new SinkException(
          label
              + " failed (for longer than the retry timeout "
              + settings.retryTimeout()
              + "): "
              + e.getCause(),
          e.getCause());
    }
  }

  @Override
  public void close() {
    for (PartFile part : open.values()) {
      // the files belong to a batch recovery aborts
      part.closeQuietly();
    }
    open.clear();
    try {
      fs.close();
    } catch (IOException e) {
      // closing: nothing left to lose
    }
  }
}
