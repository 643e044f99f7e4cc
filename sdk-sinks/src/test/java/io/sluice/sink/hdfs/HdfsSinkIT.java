package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkCompatibilityKit;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.TestRecord;
import io.sluice.sink.TestSinkContext;
import io.sluice.testkit.MiniHdfs;
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
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HDFS sink against an in-JVM MiniDFSCluster: the kit plus HDFS specifics. */
public class HdfsSinkIT extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static MiniHdfs hdfs;

  @TempDir java.nio.file.Path localDir;

  @BeforeAll
  static void startHdfs() throws Exception {
    hdfs = MiniHdfs.start(Files.createTempDirectory("hdfs-sink-it"));
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  /** The kit's sink: one JSON line per record, in three topic/date/hour buckets. */
  public static Sink<TestRecord> sink(String server, String run) {
    return HdfsSink.<TestRecord>builder()
        .name("hdfs-kit")
        .basePath(server + "/" + run)
        .lines(r -> "{\"id\":" + r.id() + ",\"k\":\"" + r.key() + "\"}")
        .bucketByTopicAndHour(r -> "topic-" + (r.id() % 3), r -> 1_700_000_000_000L)
        .build();
  }

  @Override
  protected String kind() {
    return "hdfs";
  }

  @Override
  protected String server() {
    return hdfs.uri().toString();
  }

  @Override
  protected String newRun() {
    return "/run" + RUNS.incrementAndGet() + "-" + System.nanoTime();
  }

  @Override
  protected Map<Long, Long> visibleCounts(String run) {
    return visible(hdfs.fileSystem(), new Path(server() + run));
  }

  /** Counts ids in committed files; hidden (in-progress) files are invisible to readers. */
  private static Map<Long, Long> visible(FileSystem fs, Path base) {
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

  @Test
  void shouldBucketByTopicDateAndHourOnTheLocalFileSystem() throws Exception {
    Sink<TestRecord> sink =
        HdfsSink.<TestRecord>builder()
            .basePath(localDir.toAbsolutePath().toString())
            .lines(r -> "{\"id\":" + r.id() + ",\"k\":\"" + r.key() + "\"}")
            .bucketByTopicAndHour(r -> "persistent://public/default/t" + r.id(), r -> 0L)
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writer.write(new TestRecord(1, "a"));
      writer.write(new TestRecord(2, "b"));
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
      committer.commit(c);
    }
    java.nio.file.Path bucket = localDir.resolve("public_default_t1/1970-01-01/00");
    try (var files = Files.list(bucket)) {
      List<java.nio.file.Path> list = files.toList();
      assertThat(list).hasSize(1);
      assertThat(list.get(0).getFileName().toString()).startsWith("part-").endsWith(".jsonl");
      assertThat(Files.readString(list.get(0))).isEqualTo("{\"id\":1,\"k\":\"a\"}\n");
    }
    assertThat(localDir.resolve("public_default_t2/1970-01-01/00")).isDirectory();
    try (var all = Files.walk(localDir)) {
      assertThat(
              all.filter(
                  p -> p.toString().endsWith(".crc") || p.toString().endsWith(".inprogress")))
          .isEmpty();
    }
  }
}
