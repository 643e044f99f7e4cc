package io.sluice.lookup.hdfs.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.errors.SluiceException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Loads a lookup table from a Hadoop file system path: one file, or every data file under a
 * directory (recursively, in path order; names starting with {@code .} or {@code _} are skipped, as
 * Hadoop tools do, which also skips in-progress and marker files). Each file is read by a {@link
 * RowReader} into one map keyed by the text of the key field; a later row replaces an earlier one
 * with the same key. Text files whose name ends with {@code .gz} are gunzipped. Called on the
 * lookup table's refresh thread (and the caller's for the first load).
 */
public final class LookupFiles {
  /** Reads the rows of one file into {@code rows}; errors name the file and the line or row. */
  public interface RowReader {
    void read(FileSystem fs, Path file, Map<String, JsonNode> rows) throws IOException;
  }

  private final URI location;
  private final Configuration conf;
  private final RowReader reader;

  public LookupFiles(URI location, Configuration conf, RowReader reader) {
    this.location = location;
    this.conf = new Configuration(conf);
    this.reader = reader;
  }

  /** Reads every data file now into a new map. */
  public Map<String, JsonNode> load() {
    Path path = new Path(location);
    Map<String, JsonNode> rows = new HashMap<>();
    Path current = null;
    try {
      FileSystem fs = path.getFileSystem(conf); // Hadoop's shared instance: not closed here
      for (Path file : dataFiles(fs, path)) {
        current = file;
        reader.read(fs, file, rows);
      }
    } catch (IOException e) {
      throw new SluiceException(
          "Lookup table "
              + location
              + ": cannot read "
              + (current == null ? "it" : current.toString())
              + ": "
              + e
              + (current == null
                  ? ""
                  : " (fix or remove the file; names starting with . or _ are skipped)"),
          e);
    }
    return rows;
  }

  /** Opens a text file, gunzipping it when its name ends with {@code .gz}. */
  public static InputStream open(FileSystem fs, Path file) throws IOException {
    InputStream in = fs.open(file);
    if (!file.getName().endsWith(".gz")) {
      return in;
    }
    try {
      return new GZIPInputStream(in, 1 << 16);
    } catch (IOException | RuntimeException e) {
      in.close(); // not gzip (or empty): the caller reports it; the stream must not leak
      throw e;
    }
  }

  private List<Path> dataFiles(FileSystem fs, Path path) throws IOException {
    if (!fs.exists(path)) {
      throw new SluiceException(
          "Lookup table " + location + " does not exist: check the path and the file system URI");
    }
    FileStatus status = fs.getFileStatus(path);
    if (status.isFile()) {
      return List.of(status.getPath());
    }
    List<LocatedFileStatus> found = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
    String root = status.getPath().toUri().getPath();
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      if (!hidden(root, f.getPath())) {
        found.add(f);
      }
    }
    // oldest first, so that rows written later replace earlier ones
    found.sort(
        Comparator.comparingLong(LocatedFileStatus::getModificationTime)
            .thenComparing(LocatedFileStatus::getPath));
    List<Path> files = new ArrayList<>(found.size());
    found.forEach(f -> files.add(f.getPath()));
    if (files.isEmpty()) {
      throw new SluiceException(
          "Lookup table "
              + location
              + " is a directory without data files (names starting with . or _ are skipped):"
              + " an empty table is refused so that a half-written directory cannot replace a"
              + " good one");
    }
    return files;
  }

  /** Whether a file or one of its directories below the root starts with '.' or '_'. */
  private static boolean hidden(String root, Path file) {
    String relative = file.toUri().getPath().substring(root.length());
    for (String part : relative.split("/")) {
      if (part.startsWith(".") || part.startsWith("_")) {
        return true;
      }
    }
    return false;
  }
}
