package io.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * An in-JVM HDFS (Hadoop's MiniDFSCluster: one name node, one data node). The module using it
 * declares {@code org.apache.hadoop:hadoop-client-minicluster} with test scope.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  public static MiniHdfs start(Path baseDir) {
    Objects.requireNonNull(baseDir, "baseDir must not be null");
    Configuration conf = new Configuration();
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    conf.setBoolean("dfs.permissions.enabled", false);
    // A close that races the datanode's report of the file's last block (most closes here) makes
    // the client sleep before asking the name node again: 400 ms at first by default, which made
    // every file cost a sleep. Ask again after 10 ms, doubling, up to 12 times (~40 s in all).
    conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
    conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 12);
    try {
      MiniDFSCluster cluster =
          new MiniDFSCluster.Builder(conf, baseDir.toAbsolutePath().toFile())
              .numDataNodes(1)
              .build();
      cluster.waitActive();
      return new MiniHdfs(cluster);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start MiniDFSCluster in " + baseDir, e);
    }
  }

  /** e.g. {@code hdfs://127.0.0.1:41234} */
  public URI uri() {
    return cluster.getURI();
  }

  public Configuration configuration() {
    return new Configuration(cluster.getConfiguration(0));
  }

  public FileSystem fileSystem() {
    try {
      return cluster.getFileSystem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
