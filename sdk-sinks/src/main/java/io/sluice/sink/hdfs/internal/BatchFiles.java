package io.sluice.sink.hdfs.internal;

import io.sluice.sink.Committable;
import io.sluice.sink.internal.BatchId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * A batch's committable: its id, then the in-progress files it wrote, relative to the sink's base
 * directory, one per line ({@code w0-<token>-7\nbucket/.part-w0-<token>-7-0.jsonl.inprogress\n…}).
 * The id alone is the pending handle the writer registered before the batch's first file; the
 * runtime finds it with {@link #handleOf}. With success markers on, a {@link PartitionReport}
 * follows the files (its lines start with a tab). Carrying the names in the checkpoint lets the
 * commit rename them without reading anything from the file system first.
 *
 * @param id the batch
 * @param files the batch's in-progress files, relative to the base directory
 */
record BatchFiles(BatchId id, List<String> files) {
  BatchFiles {
    files = List.copyOf(files);
  }

  /** {@code paths} made relative to {@code base} (a path outside it is kept whole). */
  static BatchFiles of(BatchId id, Path base, List<Path> paths) {
    String prefix = base.toUri().getPath();
    prefix = prefix.endsWith("/") ? prefix : prefix + "/";
    List<String> files = new ArrayList<>(paths.size());
    for (Path p : paths) {
      String path = p.toUri().getPath();
      files.add(path.startsWith(prefix) ? path.substring(prefix.length()) : path);
    }
    return new BatchFiles(id, files);
  }

  Committable toCommittable() {
    StringBuilder s = new StringBuilder(id.toString());
    files.forEach(f -> s.append('\n').append(f));
    return Committable.of(s.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The files under {@code base}. */
  List<Path> paths(Path base) {
    List<Path> paths = new ArrayList<>(files.size());
    files.forEach(f -> paths.add(new Path(base, f)));
    return paths;
  }

  /** Parses what {@link #toCommittable} wrote; names the sink in the error. */
  static BatchFiles of(Committable committable, String sink) {
    String[] lines = new String(committable.bytes(), StandardCharsets.UTF_8).split("\n", -1);
    BatchId id = BatchId.of(Committable.of(lines[0].getBytes(StandardCharsets.UTF_8)), sink);
    List<String> files = new ArrayList<>(lines.length - 1);
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty() || lines[i].charAt(0) != PartitionReport.MARK) {
        files.add(lines[i]);
      }
    }
    return new BatchFiles(id, files);
  }

  /**
   * The batch id a committable starts with: the pending handle its writer registered (read without
   * parsing the file names: the runtime asks once per committable and checkpoint).
   */
  static Committable handleOf(Committable committable, String sink) {
    byte[] bytes = committable.bytes();
    int end = 0;
    while (end < bytes.length && bytes[end] != '\n') {
      end++;
    }
    Committable id = Committable.of(Arrays.copyOf(bytes, end));
    return BatchId.of(id, sink).toCommittable();
  }
}
