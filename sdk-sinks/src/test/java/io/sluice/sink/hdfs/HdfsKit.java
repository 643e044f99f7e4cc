package io.sluice.sink.hdfs;

import io.sluice.testkit.sink.SinkCompatibilityKit;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The compatibility kit against an in-JVM MiniDFSCluster, for every format of the HDFS sink: each
 * subclass gets its own cluster and names the sink (its {@link #kind()}) that the kit's crash job
 * builds. Committed files are read back with the reader of their format: JSON lines by their {@code
 * "id"} field, Parquet files by their {@code id} column.
 */
abstract class HdfsKit extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static MiniDFSCluster hdfs;
  private static MiniDFSCluster.DataNodeProperties stoppedDataNode;

  /**
   * The cluster is built here, as {@code MiniHdfs} does, because the outage test stops and restarts
   * its name node and data node, which {@code MiniHdfs} does not expose.
   */
  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    conf.setBoolean("dfs.permissions.enabled", false);
    hdfs =
        new MiniDFSCluster.Builder(
                conf,
                Files.createTempDirectory(
                        Files.createDirectories(java.nio.file.Path.of("target")), "hdfs-sink-it")
                    .toFile())
            .numDataNodes(1)
            .build();
    hdfs.waitActive();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown(true);
      hdfs = null;
    }
  }

  @Override
  protected void stopServer() {
    stoppedDataNode = hdfs.stopDataNode(0);
    hdfs.shutdownNameNode(0);
  }

  @Override
  protected void startServer() {
    try {
      hdfs.restartNameNode(0, false);
      hdfs.restartDataNode(stoppedDataNode, true);
      hdfs.waitActive();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restart the MiniDFSCluster", e);
    }
  }

  static FileSystem fileSystem() {
    try {
      return hdfs.getFileSystem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected String server() {
    return hdfs.getURI().toString();
  }

  @Override
  protected String newRun() {
    return "/run" + RUNS.incrementAndGet() + "-" + System.nanoTime();
  }

  @Override
  protected Map<Long, Long> visibleCounts(String run) {
    return visible(fileSystem(), new Path(server() + run));
  }

  /** Counts ids in committed files; hidden (in-progress) files are invisible to readers. */
  static Map<Long, Long> visible(FileSystem fs, Path base) {
    Map<Long, Long> counts = new HashMap<>();
    try {
      if (!fs.exists(base)) {
        return counts;
      }
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
      List<Path> files = new ArrayList<>();
      while (it.hasNext()) {
        Path p = it.next().getPath();
        if (p.getName().startsWith("part-") && !p.toString().contains("/_sluice/")) {
          files.add(p);
        }
      }
      for (Path p : files) {
        if (p.getName().endsWith(".parquet")) {
          for (Group row : readParquet(fs.getConf(), p)) {
            counts.merge(row.getLong("id", 0), 1L, Long::sum);
          }
          continue;
        }
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            long id = Long.parseLong(line.substring(6, line.indexOf(',')));
            counts.merge(id, 1L, Long::sum);
          }
        }
      }
      return counts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every row of one Parquet file, read with Parquet's own reader. */
  static List<Group> readParquet(Configuration conf, Path file) throws IOException {
    List<Group> rows = new ArrayList<>();
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
      Group g;
      while ((g = reader.read()) != null) {
        rows.add(g);
      }
    }
    return rows;
  }
}
