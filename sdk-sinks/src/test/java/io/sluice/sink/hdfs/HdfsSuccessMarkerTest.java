package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Success markers of the HDFS sink on the local file system: a time partition is marked only after
 * every writer's watermark passed its end and the whole checkpoint that saw it is committed; a
 * restarted committer finds unmarked partitions on disk; a late record re-marks its partition.
 */
class HdfsSuccessMarkerTest {
  private static final long H10 = Instant.parse("2026-12-06T10:00:00Z").toEpochMilli();
  private static final long MIN = 60_000;

  @TempDir Path dir;

  /** Records are "topic@epochMillis". */
  private HdfsSink<String> sink() {
    return sink(Duration.ofHours(1));
  }

  /** {@link #sink()} whose writers go idle after {@code idleTimeout}. */
  private HdfsSink<String> sink(Duration idleTimeout) {
    return HdfsSink.<String>builder()
        .name("files")
        .basePath(dir.toUri().toString())
        .lines(s -> s)
        .bucketByTime(
            s -> "topic=" + s.substring(0, s.indexOf('@')),
            HdfsSuccessMarkerTest::time,
            Duration.ofHours(1),
            "'dt='yyyy-MM-dd/'hr='HH")
        .successMarkers(Duration.ofMinutes(5), idleTimeout)
        .build();
  }

  private static long time(String record) {
    return Long.parseLong(record.substring(record.indexOf('@') + 1));
  }

  private static String at(String topic, long millis) {
    return topic + "@" + millis;
  }

  private Path marker(String topic, int hour) {
    return dir.resolve("topic=" + topic + "/dt=2026-12-06/hr=" + hour + "/_SUCCESS");
  }

  private List<String> visibleParts(String topic, int hour) throws IOException {
    try (Stream<Path> files =
        Files.list(dir.resolve("topic=" + topic + "/dt=2026-12-06/hr=" + hour))) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("part-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void shouldMarkAnHourOnlyAfterEveryWriterPassedItAndItsCheckpointIsCommitted()
      throws IOException {
    HdfsSink<String> sink = sink();
    TestSinkContext ctx0 = new TestSinkContext("files", 0);
    TestSinkContext ctx1 = new TestSinkContext("files", 1);
    try (SinkWriter<String> w0 = sink.createWriter(ctx0);
        SinkWriter<String> w1 = sink.createWriter(ctx1);
        Committer committer = sink.createCommitter(ctx0)) {
      w0.write(at("a", H10 + 10 * MIN));
      w0.write(at("a", H10 + 70 * MIN)); // w0's watermark: 11:05
      w1.write(at("b", H10 + 50 * MIN)); // w1's watermark: 10:45, holds hour 10 open
      Committable a1 = w0.prepareCommit(1).join();
      Committable b1 = w1.prepareCommit(1).join();
      committer.commit(a1);
      committer.commit(b1);
      w1.write(at("b", H10 + 66 * MIN)); // w1's watermark: 11:01
      Committable a2 = w0.prepareCommit(2).join(); // no record: a report only
      Committable b2 = w1.prepareCommit(2).join();
      committer.commit(a2); // checkpoint 1 is all committed; its smallest watermark was 10:45
      assertThat(marker("a", 10)).doesNotExist();
      assertThat(marker("b", 10)).doesNotExist();
      committer.commit(b2);
      Committable a3 = w0.prepareCommit(3).join();
      assertThat(marker("a", 10)).doesNotExist(); // checkpoint 2 not known complete yet
      committer.commit(a3); // checkpoint 2 complete; smallest watermark 11:01
      assertThat(marker("a", 10)).exists();
      assertThat(marker("b", 10)).exists();
      assertThat(marker("a", 11)).doesNotExist();
      assertThat(marker("b", 11)).doesNotExist();
      assertThat(Files.readAllLines(marker("a", 10)))
          .startsWith("checkpoint 2", "watermark 2026-12-06T11:01:00Z")
          .containsAll(visibleParts("a", 10));
      assertThat(Files.readAllLines(marker("b", 10))).containsAll(visibleParts("b", 10));
    }
  }

  /**
   * A stream that pauses right after a regroup: the last checkpoint with records could not close
   * the hours (a writer that had written nothing yet held them open), the writers that wrote them
   * are gone, and every later checkpoint finds every writer idle. The hours every topic's time has
   * passed are marked then, instead of waiting for the stream's next record.
   */
  @Test
  void shouldMarkTheHoursEveryTopicPassedWhenTheStreamPausesAfterARegroup() throws Exception {
    HdfsSink<String> sink = sink(Duration.ofSeconds(1));
    try (Committer committer = sink.createCommitter(new TestSinkContext("files", 0))) {
      try (SinkWriter<String> w0 = sink.createWriter(new TestSinkContext("files", 0));
          SinkWriter<String> w1 = sink.createWriter(new TestSinkContext("files", 1));
          SinkWriter<String> fresh = sink.createWriter(new TestSinkContext("files", 2))) {
        w0.write(at("a", H10 + 10 * MIN));
        w0.write(at("a", H10 + 90 * MIN)); // a stops at 11:30
        w1.write(at("b", H10 + 50 * MIN));
        w1.write(at("b", H10 + 80 * MIN)); // b stops at 11:20
        committer.commit(w0.prepareCommit(1).join());
        committer.commit(w1.prepareCommit(1).join());
        committer.commit(fresh.prepareCommit(1).join()); // nothing written yet: holds every hour
      }
      // A regroup: new writers, which never see a record again.
      try (SinkWriter<String> n0 = sink.createWriter(new TestSinkContext("files", 0));
          SinkWriter<String> n1 = sink.createWriter(new TestSinkContext("files", 1))) {
        committer.commit(n0.prepareCommit(2).join());
        assertThat(marker("a", 10)).as("checkpoint 1 was held open").doesNotExist();
        committer.commit(n1.prepareCommit(2).join());
        Thread.sleep(1300); // past the new writers' hold: every writer idle now
        committer.commit(n0.prepareCommit(3).join()); // checkpoint 2 complete, held by n0, n1
        assertThat(marker("a", 10)).doesNotExist();
        committer.commit(n1.prepareCommit(3).join());
        committer.commit(n0.prepareCommit(4).join()); // checkpoint 3 complete, every writer idle
      }
      assertThat(marker("a", 10)).exists();
      assertThat(marker("b", 10)).exists();
      assertThat(marker("a", 11)).as("b's time stopped at 11:20 − 5 min").doesNotExist();
      assertThat(Files.readAllLines(marker("a", 10)))
          .startsWith("checkpoint 3", "watermark 2026-12-06T11:15:00Z")
          .containsAll(visibleParts("a", 10));
    }
  }

  @Test
  void shouldMarkPartitionsLeftUnmarkedByAnEarlierRun() throws IOException {
    HdfsSink<String> sink = sink();
    TestSinkContext ctx = new TestSinkContext("files", 0);
    try (SinkWriter<String> w = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      w.write(at("a", H10 + MIN));
      committer.commit(w.prepareCommit(1).join());
    }
    assertThat(visibleParts("a", 10)).hasSize(1);
    try (SinkWriter<String> w = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      w.write(at("a", H10 + 2 * 60 * MIN)); // hour 12 only: hour 10 is known from the disk
      committer.commit(w.prepareCommit(7).join());
      assertThat(marker("a", 10)).doesNotExist();
      committer.commit(w.prepareCommit(8).join());
      assertThat(marker("a", 10)).exists();
      assertThat(marker("a", 12)).doesNotExist();
    }
  }

  @Test
  void shouldMarkAPartitionAgainWhenALateRecordArrives() throws IOException {
    HdfsSink<String> sink = sink();
    TestSinkContext ctx = new TestSinkContext("files", 0);
    try (SinkWriter<String> w = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      w.write(at("a", H10 + MIN));
      w.write(at("a", H10 + 90 * MIN));
      committer.commit(w.prepareCommit(1).join());
      committer.commit(w.prepareCommit(2).join());
      assertThat(Files.readAllLines(marker("a", 10))).containsAll(visibleParts("a", 10));
      w.write(at("a", H10 + 2 * MIN)); // late: behind the watermark by more than 5 min
      committer.commit(w.prepareCommit(3).join());
      committer.commit(w.prepareCommit(4).join());
      assertThat(visibleParts("a", 10)).hasSize(2);
      assertThat(Files.readAllLines(marker("a", 10)))
          .startsWith("checkpoint 3")
          .containsAll(visibleParts("a", 10));
    }
  }

  @Test
  void shouldRefuseMarkersWithoutTimeBuckets() {
    assertThatThrownBy(
            () ->
                HdfsSink.<String>builder()
                    .basePath(dir.toUri().toString())
                    .lines(s -> s)
                    .bucket(s -> "x")
                    .successMarkers(Duration.ofMinutes(1), Duration.ofMinutes(1))
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bucketByTime");
  }
}
