package io.sluice.sink.hdfs.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a time partition's {@code _SUCCESS} marker once no checkpoint that may still write to it
 * is uncommitted (Flink calls this partition commit). Runs on the committer's thread.
 *
 * <pre>
 *  writer (each slot group), at the barrier of checkpoint C:
 *     committable = batch files + report(C, watermark, partitions written)   (PartitionReport)
 *     watermark = min over its prefixes of the largest event time written − maxOutOfOrderness
 *                 (prefixes idle for idleTimeout left out; IDLE if all are)
 *     + the largest event time of each prefix the batch wrote
 *  committer, committing C's committables (every writer sends one when markers are on):
 *     rename the files, then remember C's partitions and the smallest watermark of C's writers
 *  first committable of a later checkpoint arrives ⇒ all of C is committed:
 *     every known partition whose end ≤ that smallest watermark gets _SUCCESS
 *  every writer idle at C (the stream paused): the committer's own view stands in, the smallest
 *     last event time − maxOutOfOrderness over the prefixes still written within idleTimeout of
 *     the last one written, so the hours the stream passed are marked without waiting for its next
 *     record, also when the writers that wrote them are gone (regrouped)
 * </pre>
 *
 * Why that is enough: a writer writes a partition after its barrier of C only with a record whose
 * time is below its own watermark at C, i.e. out of order by more than the bound (or after being
 * idle): such a <b>late</b> record is still written and committed, and its partition's marker is
 * written again (listing the new files) when a later checkpoint closes it; a WARN names it. The
 * marker lists the partition's visible files at the time, so a reader can check it saw them all.
 *
 * <p>After a restart the committer knows no partition yet: it lists the base directory once, and
 * every directory with committed files and no marker whose path ends in a time partition is open. A
 * crash between a rename and the marker therefore only delays the marker. Markers are written to a
 * hidden file and renamed, so a reader never sees a half-written one.
 */
final class SuccessMarkers {
  static final String NAME = "_SUCCESS";
  private static final Logger LOG = LoggerFactory.getLogger(SuccessMarkers.class);

  private final String sink;
  private final FileSystem fs;
  private final Path base;
  private final TimeBuckets<?> buckets;
  private final Map<String, Long> open = new HashMap<>();
  private final Set<String> marked = new HashSet<>();
  private boolean scanned;
  private long checkpoint = -1;
  private long smallestWatermark = PartitionReport.IDLE;
  private final long maxOutOfOrderness;
  private final long idleNanos;

  /** Per prefix, the largest event time written and when a report last named it. */
  private final Map<String, long[]> lastTimes = new HashMap<>();

  private Map<String, Long> pending = new HashMap<>();

  SuccessMarkers(String sink, FileSystem fs, Path base, PartitionCommit<?> settings) {
    this.sink = sink;
    this.fs = fs;
    this.base = base;
    this.buckets = settings.buckets();
    this.maxOutOfOrderness = settings.maxOutOfOrderness().toMillis();
    this.idleNanos = settings.idleTimeout().toNanos();
  }

  /** After the files of a committable carrying {@code report} were renamed. */
  void committed(PartitionReport report) throws IOException {
    if (!scanned) {
      scanUnmarked();
      scanned = true;
    }
    if (report.checkpoint() > checkpoint) {
      if (checkpoint >= 0) {
        closeUpTo(
            smallestWatermark == PartitionReport.IDLE ? pausedWatermark() : smallestWatermark);
      }
      checkpoint = report.checkpoint();
      smallestWatermark = PartitionReport.IDLE;
      pending = new HashMap<>();
    }
    long now = System.nanoTime();
    report
        .series()
        .forEach(
            (prefix, time) ->
                lastTimes.merge(
                    prefix,
                    new long[] {time, now},
                    (a, b) -> new long[] {Math.max(a[0], b[0]), b[1]}));
    if (report.checkpoint() < checkpoint) {
      open.putAll(report.partitions()); // a replayed committable of an older checkpoint
      return;
    }
    smallestWatermark = Math.min(smallestWatermark, report.watermark());
    pending.putAll(report.partitions());
    for (String bucket : report.partitions().keySet()) {
      if (marked.contains(bucket)) {
        LOG.warn(
            "sink {}: late records in partition {} after its success marker; it is written"
                + " again when a later checkpoint closes the partition",
            sink,
            bucket);
      }
    }
  }

  /**
   * The watermark of a paused stream: the smallest last event time, less the bound, of the prefixes
   * written until it paused (within the idle timeout of the last one written; a prefix that stopped
   * long before does not hold the rest back, as it would not while they were written). {@link
   * PartitionReport#IDLE} when no prefix is known (after a restart, until one is written).
   */
  private long pausedWatermark() {
    long latest = Long.MIN_VALUE;
    for (long[] t : lastTimes.values()) {
      latest = Math.max(latest, t[1]);
    }
    long smallest = PartitionReport.IDLE;
    for (long[] t : lastTimes.values()) {
      if (latest - t[1] < idleNanos) {
        smallest = Math.min(smallest, t[0] - maxOutOfOrderness);
      }
    }
    return smallest;
  }

  /** Marks every partition of the checkpoints before the current one that ends by {@code wm}. */
  private void closeUpTo(long wm) throws IOException {
    open.putAll(pending);
    pending = new HashMap<>();
    LOG.debug(
        "sink {}: checkpoint {} committed by every writer, smallest watermark {}, {} open",
        sink,
        checkpoint,
        wm,
        open.size());
    if (wm == PartitionReport.IDLE) {
      return; // every writer idle, and no prefix known: no watermark says an hour is over
    }
    List<String> done = new ArrayList<>();
    for (Map.Entry<String, Long> e : open.entrySet()) {
      if (e.getValue() <= wm) {
        done.add(e.getKey());
      }
    }
    for (String bucket : done) {
      writeMarker(bucket, wm);
      open.remove(bucket);
      marked.add(bucket);
    }
  }

  private void writeMarker(String bucket, long wm) throws IOException {
    Path dir = new Path(base, bucket);
    TreeSet<String> files = new TreeSet<>();
    for (FileStatus f : fs.listStatus(dir)) {
      String name = f.getPath().getName();
      if (f.isFile() && name.startsWith("part-")) {
        files.add(name);
      }
    }
    StringBuilder text = new StringBuilder();
    text.append("checkpoint ").append(checkpoint).append('\n');
    text.append("watermark ").append(Instant.ofEpochMilli(wm)).append('\n');
    files.forEach(f -> text.append(f).append('\n'));
    Path tmp = new Path(dir, "." + NAME + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }
    Path marker = new Path(dir, NAME);
    if (!fs.rename(tmp, marker)) {
      fs.delete(marker, false);
      if (!fs.rename(tmp, marker)) {
        throw new IOException("cannot rename " + tmp + " to " + marker);
      }
    }
  }

  /** Directories with committed part files and no marker, whose path is a time partition. */
  private void scanUnmarked() throws IOException {
    if (!fs.exists(base)) {
      return;
    }
    Set<Path> withParts = new HashSet<>();
    Set<Path> withMarker = new HashSet<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (p.getName().startsWith("part-")) {
        withParts.add(p.getParent());
      } else if (p.getName().equals(NAME)) {
        withMarker.add(p.getParent());
      }
    }
    String prefix = base.toUri().getPath();
    prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    for (Path dir : withParts) {
      if (withMarker.contains(dir)) {
        continue;
      }
      String path = dir.toUri().getPath();
      String bucket = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
      long end = buckets.endOf(bucket);
      if (end >= 0) {
        open.putIfAbsent(bucket, end);
      }
    }
  }
}
