package io.sluice.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.function.Collector;
import io.sluice.function.KeyedContext;
import io.sluice.function.KeyedProcessFunction;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.testing.CollectingSink;
import io.sluice.testing.TestDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event-time and processing-time timers of keyed process functions, across a restart. */
class KeyedTimersTest {
  private static final long IDLE = 30_000;

  @TempDir Path dir;

  /** Emits "key idle since t" when a key has had no record for IDLE ms of event time. */
  static final class IdleDetector implements KeyedProcessFunction<String, SourceRecord, String> {
    @Override
    public void process(SourceRecord r, KeyedContext<String> ctx, Collector<String> out) {
      ValueState<Long> last = ctx.valueState("last", Serde.longs());
      if (last.value() != null) {
        ctx.deleteEventTimeTimer(last.value() + IDLE);
      }
      last.update(r.eventTime());
      ctx.registerEventTimeTimer(r.eventTime() + IDLE);
      if (new String(r.value(), StandardCharsets.UTF_8).equals("remind")) {
        ctx.registerProcessingTimeTimer(ctx.currentProcessingTime() + 60_000);
      }
    }

    @Override
    public void onTimer(long t, KeyedContext<String> ctx, Collector<String> out) {
      Long last = ctx.valueState("last", Serde.longs()).value();
      if (last != null && last + IDLE == t) {
        out.collect(ctx.currentKey() + " idle since " + last);
      } else {
        out.collect(ctx.currentKey() + " reminder");
      }
    }
  }

  private static void build(TestDriver driver, CollectingSink<String> out) {
    driver.stream(PulsarSource.topics("events"))
        .keyBy(SourceRecord::key, Serde.strings())
        .process(new IdleDetector())
        .sinkTo(out);
    driver.start();
  }

  @Test
  void shouldFireEventTimeTimersWhenTheWatermarkPassesAndForgetDeletedOnes() {
    CollectingSink<String> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      driver.send("events", 0, "a", "x", 1_000);
      driver.send("events", 0, "b", "x", 2_000);
      driver.send("events", 0, "a", "x", 20_000); // moves a's timer from 31 s to 50 s
      driver.send("events", 0, "c", "x", 40_000);
      driver.tick(); // watermark 39 999: b (32 s) is due, a (50 s) is not
      driver.checkpoint();
      assertThat(out.committed()).containsExactly("b idle since 2000");
      driver.send("events", 0, "c", "x", 80_000);
      driver.tick(); // watermark 79 999: a (50 s) and c's first timer (70 s, deleted) — only a
      driver.checkpoint();
      assertThat(out.committed()).containsExactly("b idle since 2000", "a idle since 20000");
    }
  }

  @Test
  void shouldRestoreTimersFromTheCheckpointAfterACrash() {
    CollectingSink<String> out = new CollectingSink<>("out");
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      driver.send("events", 0, "a", "x", 1_000);
      driver.send("events", 0, "b", "remind", 2_000);
      driver.checkpoint();
    }
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, out);
      driver.send("events", 0, "z", "x", 100_000);
      driver.tick();
      driver.advanceProcessingTime(Duration.ofSeconds(61));
      driver.checkpoint();
    }
    assertThat(out.committed())
        .containsExactly("a idle since 1000", "b idle since 2000", "b reminder");
  }
}
