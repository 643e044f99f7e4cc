package io.sluice.samples.abtest;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The offline experiment table the abtest sample enriches with: a CSV or Parquet file (experiment,
 * name, owner, version) in a directory on the local file system or HDFS, as a batch job would
 * publish it. Version 1 is written before the app starts; version 2 (new owners) replaces it while
 * the app runs, through a hidden file and a rename, so the lookup never reads half a file.
 */
final class ExperimentTable {
  private static final MessageType PARQUET_SCHEMA =
      MessageTypeParser.parseMessageType(
          "message experiment { required binary experiment (STRING); required binary name"
              + " (STRING); required binary owner (STRING); required int32 version; }");

  private static final List<String> NAMES =
      List.of("One-page checkout", "Ranking model v7", "Homepage banner", "Price display");
  private static final List<List<String>> OWNERS =
      List.of(
          List.of("payments", "search", "growth", "pricing"),
          List.of("payments-eu", "search-ml", "growth-web", "pricing-ops"));

  private final URI dir;
  private final boolean parquet;

  /**
   * @param parquet Parquet instead of CSV
   */
  ExperimentTable(URI dir, boolean parquet) {
    this.dir = dir;
    this.parquet = parquet;
  }

  boolean parquet() {
    return parquet;
  }

  URI dir() {
    return dir;
  }

  /** Version to experiment id to {name, owner}: what each version of the file says. */
  static Map<Integer, Map<String, String[]>> versions() {
    Map<Integer, Map<String, String[]>> all = new LinkedHashMap<>();
    for (int v = 1; v <= OWNERS.size(); v++) {
      Map<String, String[]> rows = new LinkedHashMap<>();
      for (int e = 0; e < AbLayout.EXPERIMENTS.size(); e++) {
        rows.put(
            AbLayout.EXPERIMENTS.get(e).id(),
            new String[] {NAMES.get(e), OWNERS.get(v - 1).get(e)});
      }
      all.put(v, rows);
    }
    return all;
  }

  void publish(int version) throws IOException {
    try (FileSystem fs = fileSystem()) {
      Path base = new Path(dir);
      fs.mkdirs(base);
      String name = parquet ? "experiments.parquet" : "experiments.csv";
      Path tmp = new Path(base, "." + name + ".tmp");
      if (parquet) {
        writeParquet(fs, tmp, version);
      } else {
        try (OutputStream out = fs.create(tmp, true)) {
          out.write(csv(version).getBytes(StandardCharsets.UTF_8));
        }
      }
      Path target = new Path(base, name);
      // the local file system replaces the target in one step; HDFS refuses, so delete first
      if (!fs.rename(tmp, target)) {
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
          throw new IOException("cannot rename " + tmp + " to " + target);
        }
      }
    }
  }

  private static void writeParquet(FileSystem fs, Path file, int version) throws IOException {
    SimpleGroupFactory rows = new SimpleGroupFactory(PARQUET_SCHEMA);
    try (ParquetWriter<Group> out =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, fs.getConf()))
            .withType(PARQUET_SCHEMA)
            .withConf(fs.getConf())
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build()) {
      for (Map.Entry<String, String[]> e : versions().get(version).entrySet()) {
        out.write(
            rows.newGroup()
                .append("experiment", e.getKey())
                .append("name", e.getValue()[0])
                .append("owner", e.getValue()[1])
                .append("version", version));
      }
    }
  }

  private static String csv(int version) {
    StringBuilder csv = new StringBuilder("experiment,name,owner,version\n");
    versions()
        .get(version)
        .forEach(
            (id, attrs) ->
                csv.append(id)
                    .append(',')
                    .append(attrs[0])
                    .append(',')
                    .append(attrs[1])
                    .append(',')
                    .append(version)
                    .append('\n'));
    return csv.toString();
  }

  private FileSystem fileSystem() throws IOException {
    if (dir.getScheme() == null || dir.getScheme().equals("file")) {
      return FileSystem.getLocal(new Configuration()).getRawFileSystem();
    }
    return FileSystem.newInstance(dir, new Configuration());
  }
}
