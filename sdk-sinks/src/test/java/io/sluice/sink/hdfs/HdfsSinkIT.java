package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HDFS sink writing JSON lines against an in-JVM MiniDFSCluster: the kit plus specifics. */
public class HdfsSinkIT extends HdfsKit {
  @TempDir java.nio.file.Path localDir;

  /** The kit's sink: one JSON line per record, in three topic/date/hour buckets. */
  public static Sink<TestRecord> sink(String server, String run) {
    return HdfsSink.<TestRecord>builder()
        .name("hdfs-kit")
        .basePath(server + "/" + run)
        .lines(
            r ->
                "{\"id\":"
                    + r.id()
                    + ",\"k\":\""
                    + Objects.requireNonNull(r.key(), "key must not be null")
                    + "\"}")
        .bucketByTopicAndHour(r -> "topic-" + (r.id() % 3), r -> 1_700_000_000_000L)
        .build();
  }

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "hdfs";
  }

  @Test
  void shouldRollPartsBySizeAndAgeAndGzipThem() throws Exception {
    Sink<TestRecord> sink =
        HdfsSink.<TestRecord>builder()
            .basePath(localDir.toAbsolutePath().toString())
            .lines(
                r ->
                    "{\"id\":"
                        + r.id()
                        + ",\"h\":\""
                        + Long.toHexString(new Random(r.id()).nextLong())
                        + "\"}")
            .bucket(r -> r.key())
            .gzip(true)
            .maxPartSize(4096)
            .build();
    Sink<TestRecord> slowSink =
        HdfsSink.<TestRecord>builder()
            .name("hdfs-slow")
            .basePath(localDir.toAbsolutePath().toString())
            .lines(r -> "{\"id\":" + r.id() + ",\"k\":\"" + r.key() + "\"}")
            .bucket(r -> r.key())
            .maxPartAge(Duration.ofMillis(300))
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx);
        SinkWriter<TestRecord> slowWriter = slowSink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx);
        Committer slowCommitter = slowSink.createCommitter(ctx)) {
      // "big": lines with random hex, so gzip cannot shrink 20,000 of them into a few parts
      // (gzip emits in blocks of some KiB, so parts are only roughly 4 KiB).
      for (long i = 0; i < 20_000; i++) {
        writer.write(new TestRecord(i, "big"));
      }
      // "slow": a record every 200 ms rolls by age (300 ms); there is no size limit to reach.
      for (long i = 20_000; i < 20_004; i++) {
        slowWriter.write(new TestRecord(i, "slow"));
        Thread.sleep(200);
      }
      committer.commit(writer.prepareCommit(1).join());
      slowCommitter.commit(slowWriter.prepareCommit(1).join());
    }
    List<java.nio.file.Path> big = parts(localDir.resolve("big"));
    List<java.nio.file.Path> slow = parts(localDir.resolve("slow"));
    assertThat(big.size()).as("rolled by size").isGreaterThan(3);
    assertThat(slow.size()).as("rolled by age").isBetween(2, 3);
    List<String> lines = new ArrayList<>();
    for (java.nio.file.Path p : big) {
      assertThat(p.getFileName().toString()).endsWith(".jsonl.gz");
      lines.addAll(gunzip(p));
    }
    for (java.nio.file.Path p : slow) {
      assertThat(p.getFileName().toString()).endsWith(".jsonl");
      lines.addAll(Files.readAllLines(p));
    }
    assertThat(lines).hasSize(20_004).doesNotHaveDuplicates();
    assertThat(lines)
        .extracting(l -> Long.parseLong(l.substring(6, l.indexOf(','))))
        .containsExactlyInAnyOrderElementsOf(LongStream.range(0, 20_004).boxed().toList());
  }

  @Test
  void shouldSkipALineThatWouldSplitTheRecord() throws Exception {
    Sink<TestRecord> sink =
        HdfsSink.<TestRecord>builder()
            .basePath(localDir.toAbsolutePath().toString())
            .lines(r -> r.key())
            .bucket(r -> "b")
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0, TestSinkContext.Policy.SKIP);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writer.write(new TestRecord(1, "one"));
      writer.write(new TestRecord(2, "two\nlines"));
      writer.write(new TestRecord(3, "three"));
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(Files.readString(parts(localDir.resolve("b")).get(0))).isEqualTo("one\nthree\n");
    assertThat(ctx.badRecords())
        .extracting(b -> b.record())
        .containsExactly(new TestRecord(2, "two\nlines"));
    assertThat(ctx.badRecords().get(0).cause()).hasMessageContaining("line break");
  }

  private static List<java.nio.file.Path> parts(java.nio.file.Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList();
    }
  }

  private static List<String> gunzip(java.nio.file.Path p) throws IOException {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(p)), StandardCharsets.UTF_8))) {
      return r.lines().toList();
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
