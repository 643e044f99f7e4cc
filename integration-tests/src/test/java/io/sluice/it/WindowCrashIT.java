package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Window output is exactly once under SIGKILL: every (key, window) result appears once, with the
 * exact count, although the job is killed at random moments while the windows fill.
 */
class WindowCrashIT {
  static final int MESSAGES = Integer.getInteger("sluice.window.crash.messages", 100_000);
  static final int KILLS = Integer.getInteger("sluice.crash.kills", 5);
  static final int KEYS = 50;
  static final long T0 = 1_700_000_000_000L;
  static final long STEP_MS = 5;
  static final long WINDOW_MS = 10_000;

  @TempDir Path stateDir;

  @Test
  void shouldEmitEveryWindowResultExactlyOnceAcrossSigkills() throws Exception {
    String input = uniqueTopic("wcrash-in");
    String output = uniqueTopic("wcrash-out");
    admin().topics().createPartitionedTopic(input, 4);
    admin().topics().createNonPartitionedTopic(output);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    Random random = new Random(seed);

    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> produce(input));
    int kills = ChildJvm.killAtRandomMoments(() -> start(input, output), KILLS, random);
    producing.get(5, TimeUnit.MINUTES);

    Map<String, Long> expected = new HashMap<>();
    for (int i = 0; i < MESSAGES; i++) {
      long ts = T0 + i * STEP_MS;
      expected.merge(
          "k" + (i % KEYS) + "," + Math.floorDiv(ts, WINDOW_MS) * WINDOW_MS, 1L, Long::sum);
    }
    Map<String, Integer> seen = new HashMap<>();
    Map<String, Long> counts = new HashMap<>();
    try (ChildJvm job = start(input, output)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      do {
        Thread.sleep(1000);
        seen.clear();
        counts.clear();
        for (String line : PulsarFixture.readAll(output)) {
          int cut = line.lastIndexOf(',');
          String window = line.substring(0, cut);
          seen.merge(window, 1, Integer::sum);
          counts.put(window, Long.parseLong(line.substring(cut + 1)));
        }
      } while (seen.size() < expected.size() && System.nanoTime() < deadline);
      job.kill();
    }
    long duplicates = seen.values().stream().filter(n -> n > 1).count();
    long wrong =
        expected.entrySet().stream()
            .filter(e -> !e.getValue().equals(counts.get(e.getKey())))
            .count();
    System.out.printf(
        "RESULT window-crash windows=%d emitted=%d duplicates=%d wrong_counts=%d kills=%d seed=%d%n",
        expected.size(), seen.size(), duplicates, wrong, kills, seed);
    assertThat(duplicates).as("windows emitted twice").isZero();
    assertThat(seen.keySet()).as("windows emitted").isEqualTo(expected.keySet());
    assertThat(counts).as("window counts").isEqualTo(expected);
  }

  private ChildJvm start(String input, String output) {
    return ChildJvm.builder(WindowCrashJob.class)
        .jvmArgs("-Xmx512m")
        .args(broker().serviceUrl(), broker().adminUrl(), input, output, stateDir.toString())
        .start();
  }

  /** Event time grows with the id; each partition receives its messages in that order. */
  private static void produce(String topic) {
    try {
      PulsarFixture.produce(
          topic, 0, MESSAGES, j -> "k" + (j % KEYS), j -> "m" + j, j -> T0 + j * STEP_MS, 10_000);
      // one far-future element per partition closes every window
      List<String> partitions = PulsarFixture.admin().topics().getList("public/default");
      for (String p : partitions) {
        if (p.startsWith(topic + "-partition-")) {
          try (Producer<String> last =
              PulsarFixture.client().newProducer(Schema.STRING).topic(p).create()) {
            last.newMessage().key("flush").value("flush").eventTime(T0 + 10_000_000L).send();
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }
}
