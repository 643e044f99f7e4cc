package io.sluice.sink.hdfs.internal;

import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.SinkContext;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.sink.internal.Finisher;
import io.sluice.sink.internal.OutputScope;
import io.sluice.sink.internal.Retry;
import io.sluice.sink.internal.SinkMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the current batch into hidden in-progress part files, one open per bucket, and hands the
 * slow, synced part of every file's life to a small finisher pool so the processing thread never
 * waits for a disk or a data node to sync:
 *
 * <pre>
 *  processing thread                         finisher (2 threads)
 *  write ─▶ encode, append to the open part
 *  roll   ─▶ hand the part over ───────────▶ finish encoding, hsync, close
 *  barrier ─▶ hand every open part over ───▶ finish, hsync, close (in parallel)
 *            start the next batch at once
 * </pre>
 *
 * The future returned by {@link #prepareCommit} completes once every part of the batch is durably
 * closed, with the batch id and the names of its files (see {@link BatchFiles}); the checkpoint
 * completes only after that. A part whose stream broke is written again whole into a new file (see
 * {@link PartFile}); the committable names the file as it is when the part is closed. File system
 * calls are retried for up to the retry timeout; one that still fails fails the future, and with it
 * the app, which recovers from its last complete checkpoint (the batch is aborted then).
 *
 * <p>At most one batch is being finished while the next is written: a barrier that arrives before
 * the previous batch is finished waits for it (the runtime never does that: it starts a checkpoint
 * only after the previous one completed). Fields belong to the processing thread; a batch and its
 * parts belong to the finisher once handed over.
 */
public final class HdfsSinkWriter<T, R> implements SinkWriter<T> {
  private static final Logger LOG = LoggerFactory.getLogger(HdfsSinkWriter.class);
  private final HdfsSinkSettings<T> settings;
  private final PartFormat<T, R> format;
  private final SinkContext context;
  private final FileSystem fs;
  private final SinkMetrics metrics;
  private final Retry retry;
  private final boolean local;
  private final Map<String, PartFile<R>> open = new LinkedHashMap<>();
  private final Finisher finisher;
  private final PartitionClock<T> clock;
  private final OpenBatches openBatches;

  private Batch batch;
  private CompletableFuture<Committable> finishing = CompletableFuture.completedFuture(null);

  private HdfsSinkWriter(
      HdfsSinkSettings<T> settings, PartFormat<T, R> format, SinkContext context) {
    this.settings = settings;
    this.format = format;
    this.context = context;
    this.fs = settings.fileSystem();
    this.local = "file".equals(fs.getUri().getScheme());
    this.metrics = SinkMetrics.of(context, settings.name());
    this.retry =
        new Retry(settings.retryTimeout(), settings.retryBackoff(), Duration.ofSeconds(5), metrics);
    this.batch = new Batch(new BatchId(context.writerIndex(), BatchId.newToken(), 1));
    this.finisher = new Finisher(context, settings.name(), 2);
    this.openBatches = new OpenBatches(fs, settings.basePath(), OutputScope.of(context));
    this.clock =
        settings.partitionCommit() == null
            ? null
            : new PartitionClock<>(settings.partitionCommit());
  }

  /** A writer for {@code settings} (captures the format's encoded type). */
  public static <T> HdfsSinkWriter<T, ?> create(HdfsSinkSettings<T> settings, SinkContext context) {
    return create(settings, settings.format(), context);
  }

  private static <T, R> HdfsSinkWriter<T, R> create(
      HdfsSinkSettings<T> settings, PartFormat<T, R> format, SinkContext context) {
    return new HdfsSinkWriter<>(settings, format, context);
  }

  @Override
  public void write(T value) {
    String bucket;
    R encoded;
    try {
      bucket = settings.bucket().apply(value);
      if (bucket == null) {
        throw new SinkException("the bucket mapping returned null");
      }
      String problem = BucketNames.problem(bucket);
      if (problem != null) {
        throw new SinkException(
            "Invalid bucket '"
                + bucket.replaceAll("\\p{Cntrl}", "?")
                + "': "
                + problem
                + ". Map records to buckets of names below the base path (e.g."
                + " topic/yyyy-MM-dd/HH).");
      }
      encoded = format.encode(value);
    } catch (RuntimeException e) {
      context.badRecord(value, e);
      return;
    }
    PartFile<R> part = open.get(bucket);
    if (part == null) {
      part = call("creating a part file in bucket " + bucket, () -> create(bucket));
      open.put(bucket, part);
    }
    part.write(encoded);
    metrics.record();
    if (clock != null) {
      clock.wrote(value, bucket);
    }
    if (part.broken()) {
      PartFile<R> p = part;
      call("rewriting broken part " + p.path(), () -> rewrite(p));
    }
    if (part.size() >= settings.maxPartBytes()
        || part.ageNanos() >= settings.maxPartAge().toNanos()) {
      open.remove(bucket);
      handOver(part);
    }
  }

  private PartFile<R> create(String bucket) throws IOException {
    if (!batch.registered()) {
      // Before the first file exists: after a crash, recovery aborts (deletes) what it cannot
      // commit. Listed in the file system too, which outlives a lost state directory.
      openBatches.started(batch.id().toString());
      context.registerPending(batch.id().toCommittable());
      batch.markRegistered();
    }
    Path file = newPartPath(batch, new Path(settings.basePath(), bucket));
    return new PartFile<>(batch, file, createFile(file), format, !local);
  }

  /** A new file (replacing one of the same name); see {@link LocalFileStream} for local ones. */
  private FSDataOutputStream createFile(Path file) throws IOException {
    return local ? LocalFileStream.create(file) : fs.create(file, true);
  }

  private Path newPartPath(Batch b, Path dir) {
    return new Path(dir, settings.inProgressName(b.id().toString(), b.nextPartNumber()));
  }

  /** Writes a broken part's bytes into a new file and deletes the broken one. */
  private Void rewrite(PartFile<?> part) throws IOException {
    Path old = part.path();
    if (!part.rewritable()) {
      // checked before creating the new file, which each retry would otherwise leave behind
      throw new IOException(
          "cannot write " + old + " again: its bytes were not kept", part.failure());
    }
    Path fresh = newPartPath(part.batch(), old.getParent());
    LOG.warn(
        "sink {}: part {} broke ({}); writing its {} bytes again into {}",
        settings.name(),
        old,
        part.failure(),
        part.size(),
        fresh);
    part.replaceWith(fresh, createFile(fresh));
    try {
      fs.delete(old, false);
    } catch (IOException e) {
      // Hidden and named after the batch: abort finds it, readers skip it.
      LOG.warn("sink {}: cannot delete broken part {}: {}", settings.name(), old, e.toString());
    }
    return null;
  }

  /** Closes a part durably; a part that breaks on the way is written again first. */
  private Void syncAndClose(PartFile<?> part) throws IOException {
    if (part.broken()) {
      rewrite(part);
    }
    part.syncAndClose(); // if this breaks it, the retry rewrites it first
    return null;
  }

  /** Hands a part to the finisher, which closes it durably and frees its memory copy. */
  private void handOver(PartFile<R> part) {
    Batch b = part.batch();
    b.closing(
        part,
        CompletableFuture.runAsync(
            () -> {
              call("closing part " + part.path(), () -> syncAndClose(part));
              metrics.bytes(part.size());
              part.release();
            },
            finisher));
  }

  @Override
  public CompletableFuture<Committable> prepareCommit(long checkpointId) {
    // The previous batch's outcome is reported by its own future; here it only bounds memory.
    finishing.exceptionally(e -> null).join();
    for (PartFile<R> part : open.values()) {
      handOver(part);
    }
    open.clear();
    // With success markers every writer reports every checkpoint, even with no files: the
    // committer must hear each writer's watermark before it closes a partition.
    String report = clock == null ? null : clock.report(checkpointId).toLines();
    if (batch.isEmpty() && report == null) {
      return CompletableFuture.completedFuture(null);
    }
    Batch done = batch;
    batch = new Batch(done.id().next());
    finishing =
        done.allClosed()
            .thenApply(
                ignored -> {
                  Committable files =
                      BatchFiles.of(done.id(), settings.basePath(), done.paths()).toCommittable();
                  return report == null ? files : withReport(files, report);
                });
    return finishing;
  }

  private static Committable withReport(Committable files, String report) {
    return Committable.of(
        (new String(files.bytes(), StandardCharsets.UTF_8) + "\n" + report)
            .getBytes(StandardCharsets.UTF_8));
  }

  private interface IoCall<V> {
    V call() throws IOException;
  }

  private <V> V call(String what, IoCall<V> call) {
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
    for (PartFile<R> part : open.values()) {
      // the files belong to a batch recovery aborts
      part.closeQuietly();
    }
    open.clear();
    // Let a batch being finished complete: its checkpoint may still be waiting for it.
    finisher.close(settings.retryTimeout().plusSeconds(10));
    try {
      fs.close();
    } catch (IOException e) {
      // closing: nothing left to lose
    }
  }
}
