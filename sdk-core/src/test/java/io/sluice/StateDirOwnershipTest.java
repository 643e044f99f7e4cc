package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.StateException;
import io.sluice.function.Collector;
import io.sluice.function.KeyedContext;
import io.sluice.function.KeyedProcessFunction;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.testing.CollectingSink;
import io.sluice.testing.TestDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One owner per state directory: a second app on a live one is refused and changes nothing. */
class StateDirOwnershipTest {
  @TempDir Path dir;

  /** Emits "key=n" with n the key's running count, kept in keyed state. */
  static final class Count implements KeyedProcessFunction<String, SourceRecord, String> {
    @Override
    public void process(SourceRecord r, KeyedContext<String> ctx, Collector<String> out) {
      ValueState<Long> n = ctx.valueState("n", Serde.longs());
      long next = n.value() == null ? 1 : n.value() + 1;
      n.update(next);
      out.collect(ctx.currentKey() + "=" + next);
    }
  }

  private static TestDriver counting(Path dir, CollectingSink<String> out) {
    TestDriver driver = TestDriver.create(dir);
    driver.stream(PulsarSource.topics("events"))
        .keyBy(SourceRecord::key, Serde.strings())
        .process(new Count())
        .sinkTo(out);
    return driver;
  }

  @Test
  void shouldRefuseASecondAppOnALiveStateDirectoryAndLeaveTheFirstOneItsState() throws Exception {
    CollectingSink<String> out = new CollectingSink<>("out");
    try (TestDriver first = counting(dir, out).start()) {
      first.send("events", 0, "a", "x", 1_000);
      first.send("events", 0, "a", "x", 2_000);
      first.checkpoint();

      CollectingSink<String> other = new CollectingSink<>("out");
      TestDriver second = counting(dir, other);
      assertThatThrownBy(second::start)
          .isInstanceOf(StateException.class)
          .hasMessageContaining("The state directory " + dir + " is in use by another running")
          .hasMessageContaining("pid " + ProcessHandle.current().pid())
          .hasMessageContaining("sluice.state.dir");
      second.close();

      // the first app goes on with its store: its count continues and checkpoints complete
      first.send("events", 0, "a", "x", 3_000);
      first.checkpoint();
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("rocksdb.damaged-"));
    }
    // and a restart on the directory finds all of it
    try (TestDriver restarted = counting(dir, out).start()) {
      restarted.send("events", 0, "a", "x", 4_000);
      restarted.checkpoint();
    }
    assertThat(out.committed()).containsExactly("a=1", "a=2", "a=3", "a=4");
  }

  @Test
  void shouldLetTheNextAppInOnceTheHolderClosed() {
    CollectingSink<String> out = new CollectingSink<>("out");
    try (TestDriver first = counting(dir, out).start()) {
      first.send("events", 0, "k", "x", 1_000);
      first.checkpoint();
    }
    try (TestDriver next = counting(dir, out).start()) {
      next.send("events", 0, "k", "x", 2_000);
      next.checkpoint();
    }
    assertThat(out.committed()).containsExactly("k=1", "k=2");
  }
}
