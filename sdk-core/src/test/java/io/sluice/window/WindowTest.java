package io.sluice.window;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.stream.DataStream;
import io.sluice.stream.WindowedStream;
import io.sluice.testing.CollectingSink;
import io.sluice.testing.TestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WindowTest {
  @TempDir Path dir;

  /** Sums the payloads (integers) of a window. */
  static final class Sum implements AggregateFunction<SourceRecord, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(SourceRecord value, Long acc) {
      return acc + Long.parseLong(new String(value.value(), StandardCharsets.UTF_8));
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }

    @Override
    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  private static final long MIN = 60_000;

  private CollectingSink<WindowResult<String, Long>> pipeline(
      TestDriver driver,
      WindowAssigner assigner,
      Duration outOfOrder,
      Duration lateness,
      CollectingSink<String> late) {
    CollectingSink<WindowResult<String, Long>> out = new CollectingSink<>("out");
    WindowedStream<String, SourceRecord> windowed =
        driver.stream(PulsarSource.topics("events").watermarks(outOfOrder, Duration.ofSeconds(10)))
            .keyBy(SourceRecord::key, Serde.strings())
            .window(assigner)
            .allowedLateness(lateness);
    if (late != null) {
      DataStream<SourceRecord> lateRecords = windowed.lateRecords();
      lateRecords.map(r -> r.key() + "@" + r.eventTime()).sinkTo(late);
    }
    windowed.aggregate(new Sum(), Serde.longs()).sinkTo(out);
    driver.start();
    return out;
  }

  @Test
  void shouldEmitExactTumblingResultsWithOutOfOrderAndLateEvents() {
    CollectingSink<String> late = new CollectingSink<>("late");
    try (TestDriver driver = TestDriver.create(dir)) {
      var out =
          pipeline(
              driver,
              WindowAssigner.tumbling(Duration.ofMinutes(1)),
              Duration.ofSeconds(10),
              Duration.ZERO,
              late);
      driver.send("events", 0, "a", "1", 5_000);
      driver.send("events", 0, "a", "2", 50_000);
      driver.send("events", 0, "b", "10", 59_999);
      driver.send("events", 0, "a", "4", 65_000); // next minute
      driver.send("events", 0, "a", "8", 30_000); // out of order, within 10 s: still on time
      driver.tick();
      assertThat(driver.watermark()).isEqualTo(65_000 - 10_000 - 1);
      driver.send("events", 0, "a", "100", 75_000); // watermark 64_999: minute 0 fires
      driver.tick();
      driver.send("events", 0, "a", "1000", 20_000); // minute 0 already emitted: late
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed())
          .containsExactlyInAnyOrder(
              new WindowResult<>("a", 0, MIN, 11L), new WindowResult<>("b", 0, MIN, 10L));
      assertThat(late.committed()).containsExactly("a@20000");
      driver.send("events", 0, "z", "0", 200_000);
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed()).contains(new WindowResult<>("a", MIN, 2 * MIN, 104L));
    }
  }

  @Test
  void shouldWaitForAllowedLatenessBeforeEmittingOnce() {
    try (TestDriver driver = TestDriver.create(dir)) {
      var out =
          pipeline(
              driver,
              WindowAssigner.tumbling(Duration.ofMinutes(1)),
              Duration.ZERO,
              Duration.ofSeconds(30),
              null);
      driver.send("events", 0, "a", "1", 10_000);
      driver.send("events", 0, "a", "1", 70_000);
      driver.tick();
      driver.send("events", 0, "a", "5", 40_000); // after the window's end, within lateness
      driver.send("events", 0, "a", "1", 95_000);
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed()).containsExactly(new WindowResult<>("a", 0, MIN, 6L));
    }
  }

  @Test
  void shouldPutAnElementInEveryOverlappingSlidingWindow() {
    try (TestDriver driver = TestDriver.create(dir)) {
      var out =
          pipeline(
              driver,
              WindowAssigner.sliding(Duration.ofMinutes(2), Duration.ofMinutes(1)),
              Duration.ZERO,
              Duration.ZERO,
              null);
      driver.send("events", 0, "a", "1", 90_000); // windows [0,2m) and [1m,3m)
      driver.send("events", 0, "a", "2", 150_000); // windows [1m,3m) and [2m,4m)
      driver.send("events", 0, "z", "0", 10 * MIN);
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed())
          .filteredOn(r -> r.key().equals("a"))
          .containsExactlyInAnyOrder(
              new WindowResult<>("a", 0, 2 * MIN, 1L),
              new WindowResult<>("a", MIN, 3 * MIN, 3L),
              new WindowResult<>("a", 2 * MIN, 4 * MIN, 2L));
    }
  }

  @Test
  void shouldMergeSessionsThatABridgingElementConnects() {
    try (TestDriver driver = TestDriver.create(dir)) {
      var out =
          pipeline(
              driver,
              WindowAssigner.session(Duration.ofSeconds(10)),
              Duration.ofSeconds(30),
              Duration.ZERO,
              null);
      driver.send("events", 0, "a", "1", 1_000); // [1s, 11s)
      driver.send("events", 0, "a", "2", 25_000); // [25s, 35s)
      driver.send("events", 0, "a", "4", 14_000); // [14s,24s): touches neither...
      driver.send("events", 0, "a", "8", 10_000); // [10s,20s): bridges [1s,11s) and [14s,24s)
      driver.send("events", 0, "b", "16", 2_000);
      driver.send("events", 0, "z", "0", 200_000);
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed())
          .filteredOn(r -> !r.key().equals("z"))
          .containsExactlyInAnyOrder(
              new WindowResult<>("a", 1_000, 24_000, 13L),
              new WindowResult<>("a", 25_000, 35_000, 2L),
              new WindowResult<>("b", 2_000, 12_000, 16L));
    }
  }

  @Test
  void shouldNotLetAnIdlePartitionHoldTheWatermarkBackPastItsTimeout() {
    try (TestDriver driver = TestDriver.create(dir)) {
      var out =
          pipeline(
              driver,
              WindowAssigner.tumbling(Duration.ofMinutes(1)),
              Duration.ZERO,
              Duration.ZERO,
              null);
      driver.send("events", 1, "a", "1", 1_000); // partition 1 then falls silent
      driver.send("events", 0, "a", "2", 2_000);
      driver.send("events", 0, "a", "3", 100_000);
      driver.tick();
      assertThat(driver.watermark()).isEqualTo(999); // held back by partition 1
      driver.checkpoint();
      assertThat(out.committed()).isEmpty();

      driver.advanceProcessingTime(Duration.ofSeconds(5));
      driver.send("events", 0, "a", "4", 101_000);
      driver.advanceProcessingTime(Duration.ofSeconds(6)); // partition 1 silent for 11 s > 10 s
      assertThat(driver.watermark()).isEqualTo(100_999);
      driver.checkpoint();
      assertThat(out.committed()).containsExactly(new WindowResult<>("a", 0, MIN, 3L));
    }
  }

  @Test
  void shouldKeepLatenessDecisionsAcrossARestart() {
    CollectingSink<WindowResult<String, Long>> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      driver.send("events", 0, "k", "1", 1_000);
      driver.send("events", 0, "k", "2", 61_000);
      driver.tick(); // minute 0 fires with 1
      driver.checkpoint();
    }
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      driver.send("events", 0, "k", "4", 5_000); // late before the crash, late after it
      driver.send("events", 0, "k", "8", 130_000);
      driver.tick();
      driver.checkpoint();
    }
    assertThat(out.committed())
        .containsExactly(
            new WindowResult<>("k", 0, MIN, 1L), new WindowResult<>("k", MIN, 2 * MIN, 2L));
  }

  @Test
  void shouldRestoreWindowStateExactlyAfterACrash() {
    CollectingSink<WindowResult<String, Long>> out = new CollectingSink<>("out");
    List<long[]> events =
        List.of(
            new long[] {1, 1_000},
            new long[] {2, 2_000},
            new long[] {4, 30_000},
            new long[] {8, 3_000},
            new long[] {16, 62_000},
            new long[] {32, 125_000});
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      for (int i = 0; i < 3; i++) {
        driver.send("events", 0, "k", Long.toString(events.get(i)[0]), events.get(i)[1]);
      }
      driver.tick();
      driver.checkpoint();
      // processed after the checkpoint, then the process dies: all of it must be replayed
      driver.send("events", 0, "k", "8", 3_000);
      driver.send("events", 0, "k", "16", 62_000);
      driver.tick();
      assertThat(out.committed()).isEmpty();
    }
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      for (int i = 3; i < events.size(); i++) {
        driver.send("events", 0, "k", Long.toString(events.get(i)[0]), events.get(i)[1]);
      }
      driver.tick();
      driver.checkpoint();
    }
    assertThat(out.committed())
        .containsExactly(
            new WindowResult<>("k", 0, MIN, 15L), new WindowResult<>("k", MIN, 2 * MIN, 16L));
  }

  private static void build(TestDriver driver, CollectingSink<WindowResult<String, Long>> out) {
    driver.stream(PulsarSource.topics("events"))
        .keyBy(SourceRecord::key, Serde.strings())
        .window(WindowAssigner.tumbling(Duration.ofMinutes(1)))
        .aggregate(new Sum(), Serde.longs())
        .sinkTo(out);
    driver.start();
  }

  @Test
  void shouldAggregateTheUnionOfTwoSourcesIntoOneWindow() {
    CollectingSink<WindowResult<String, Long>> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      DataStream<SourceRecord> clicks = driver.stream(PulsarSource.topics("clicks"));
      DataStream<SourceRecord> views = driver.stream(PulsarSource.topics("views"));
      clicks
          .union(views)
          .keyBy(SourceRecord::key, Serde.strings())
          .window(WindowAssigner.tumbling(Duration.ofMinutes(1)))
          .aggregate(new Sum(), Serde.longs())
          .sinkTo(out);
      driver.start();
      driver.send("clicks", 0, "exp-1", "1", 1_000);
      driver.send("views", 0, "exp-1", "10", 2_000);
      driver.send("clicks", 0, "exp-1", "100", 70_000);
      driver.send("views", 0, "exp-1", "1000", 71_000);
      driver.tick();
      driver.checkpoint();
      assertThat(out.committed()).containsExactly(new WindowResult<>("exp-1", 0, MIN, 11L));
    }
  }
}
