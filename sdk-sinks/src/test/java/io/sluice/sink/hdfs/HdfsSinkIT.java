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
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.fs.GlobalStorageStatistics;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.StorageStatistics;
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

  /** Writes ids {@code from} to {@code to - 1} (three buckets). */
  private static void write(SinkWriter<TestRecord> writer, long from, long to) {
    for (long id = from; id < to; id++) {
      writer.write(new TestRecord(id, "k"));
    }
  }

  /** The in-progress files under a run's base path. */
  private List<String> hiddenFiles(String run) throws IOException {
    List<String> found = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fileSystem().listFiles(new Path(run), true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (p.getName().endsWith(".inprogress")) {
        found.add(p.toUri().getPath());
      }
    }
    return found;
  }

  /**
   * A lost state directory takes the list of pending batches with it. The next start must still
   * delete what the earlier run left (its hidden files would stay for ever), and only that: not the
   * files of another app, or of another shard of the same app, under the same base path.
   */
  @Test
  void shouldDeleteWhatALostStateDirectoryLeftAndNothingOfOtherApps() throws Exception {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext kit = new TestSinkContext(sink.name(), 0);
    SinkWriter<TestRecord> crashed = sink.createWriter(kit);
    write(crashed, 0, 3000);
    Committable committed = crashed.prepareCommit(1).join();
    try (Committer committer = sink.createCommitter(kit)) {
      committer.commit(committed);
    }
    write(crashed, 3000, 6000);
    crashed.close(); // killed before the next barrier, and then its state directory is lost
    try (SinkWriter<TestRecord> shard = sink.createWriter(kit.withApp("kit-shard-1"))) {
      write(shard, 10_000, 10_300); // another shard's batch, which the shard may still commit
    }
    List<String> left = hiddenFiles(run);
    assertThat(left).hasSize(6);

    int aborted;
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      aborted = committer.abortOrphans(List.of());
      assertThat(committer.abortOrphans(List.of())).as("idempotent").isZero();
    }

    assertThat(aborted).isEqualTo(1);
    assertThat(hiddenFiles(run)).hasSize(3).allMatch(left::contains);
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(3000).containsOnlyKeys(LongStream.range(0, 3000).boxed().toList());
    assertThat(counts.values()).containsOnly(1L);
    // The other shard's batch was left alone; a start of that shard without its state ends it.
    try (Committer committer = sink.createCommitter(kit.withApp("kit-shard-1"))) {
      assertThat(committer.abortOrphans(List.of())).isEqualTo(1);
    }
    assertThat(hiddenFiles(run)).isEmpty();
  }

  /**
   * Recovery after a crash aborts every batch the writers had started: their files are found with
   * one walk of the base path for all of them, not one walk per batch.
   */
  @Test
  void shouldWalkTheBasePathOnceForAllAbortsOfARecovery() throws Exception {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    List<Committable> pending = new ArrayList<>();
    for (int w = 0; w < 5; w++) {
      TestSinkContext ctx = new TestSinkContext(sink.name(), w);
      try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
        write(writer, w * 1000L, w * 1000L + 300);
      }
      pending.addAll(ctx.pending());
    }
    assertThat(pending).hasSize(5);
    assertThat(hiddenFiles(run)).hasSize(15);
    StorageStatistics ops = GlobalStorageStatistics.INSTANCE.get("DFSOpsCountStatistics");
    long before = ops.getLong("op_list_located_status");
    hiddenFiles(run);
    long oneWalk = ops.getLong("op_list_located_status") - before;
    assertThat(oneWalk).as("a walk lists every directory").isGreaterThan(1);

    before = ops.getLong("op_list_located_status");
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      pending.forEach(committer::abort);
      assertThat(committer.abortOrphans(List.of())).isZero();
    }
    assertThat(ops.getLong("op_list_located_status") - before).isEqualTo(oneWalk);
    assertThat(hiddenFiles(run)).isEmpty();
    assertThat(visibleCounts(run)).isEmpty();
  }
}
