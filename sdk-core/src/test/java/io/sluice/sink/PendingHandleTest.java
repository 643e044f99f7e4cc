package io.sluice.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.source.PulsarSource;
import io.sluice.testing.TestDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink whose committable is more than the handle it registered (the handle, then what the batch
 * wrote, as the HDFS sink's batch id and file names): committed batches must be forgotten and never
 * aborted, and only output that no checkpoint holds is aborted after a crash.
 */
class PendingHandleTest {
  @TempDir Path dir;

  private static void build(TestDriver driver, GrowingSink sink) {
    driver.stream(PulsarSource.topics("in")).sinkTo(sink);
    driver.start();
  }

  @Test
  void shouldForgetCommittedHandlesAndAbortOnlyOutputNoCheckpointHolds() {
    GrowingSink sink = new GrowingSink();
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      driver.send("in", 0, "k", "x1", 1);
      driver.send("in", 0, "k", "x2", 2);
      driver.checkpoint();
      driver.send("in", 0, "k", "y1", 3);
      driver.checkpoint();
      driver.send("in", 0, "k", "z1", 4); // batch 3: registered, never checkpointed
    } // killed
    assertThat(sink.commits).containsExactly("b1|x1,x2", "b2|y1");
    assertThat(sink.aborts).isEmpty();

    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      // the restored checkpoint's batch was committed before the kill (recorded, so not committed
      // again); recovery aborts only batch 3
      assertThat(sink.commits).containsExactly("b1|x1,x2", "b2|y1");
      assertThat(sink.aborts).containsExactly("b3");
      driver.send("in", 0, "k", "w1", 5);
      driver.checkpoint();
    }
    try (TestDriver driver = TestDriver.create(dir)) {
      build(driver, sink);
      // b1, b2 and b4 were forgotten once committed; b3 once aborted
      assertThat(sink.aborts).containsExactly("b3");
      assertThat(sink.commits).containsExactly("b1|x1,x2", "b2|y1", "b4|w1");
    }
  }
}
