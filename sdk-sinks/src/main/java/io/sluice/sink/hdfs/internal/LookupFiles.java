package io.sluice.sink.hdfs.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.SluiceException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
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
    try {
      FileSystem fs = path.getFileSystem(conf); // Hadoop's shared instance: not closed here
      for (Path file : dataFiles(fs, path)) {
        reader.read(fs, file, rows);
      }
    } catch (IOException e) {
      throw new SluiceException("Lookup table " + location + ": cannot read it: " + e, e);
    }
    return rows;
  }

  /** Opens a text file, gunzipping it when its name ends with {@code .gz}. */
  public static InputStream open(FileSystem fs, Path file) throws IOException {
    InputStream in = fs.open(file);
    return file.getName().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
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
    List<Path> files = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
    String root = status.getPath().toUri().getPath();
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (!hidden(root, p)) {
        files.add(p);
      }
    }
    if (files.isEmpty()) {
      throw new SluiceException(
          "Lookup table "
              + location
              + " is a directory without data files (names starting with . or _ are skipped):"
              + " an empty table is refused so that a half-written directory cannot replace a"
              + " good one");
    }
    files.sort(null);
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
