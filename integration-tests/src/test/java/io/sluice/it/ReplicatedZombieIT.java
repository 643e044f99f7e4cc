package io.sluice.it;

import static io.sluice.it.Replicas.awaitCheckpoints;
import static io.sluice.it.Replicas.checkpointOf;
import static io.sluice.it.Replicas.sec;
import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zombie replica: the active replica of {@link ReplicaJob} (keyed counts to Pulsar) is frozen
 * with SIGSTOP while input arrives (its connections stay open, as in a long GC pause or a hung
 * host), the standby takes the app over once the broker drops the frozen one, and the frozen one is
 * then resumed with SIGCONT in the middle of its work. It must not commit anything more: it stops
 * with {@code OwnershipLostException}, and the output holds every input exactly once.
 */
@Timeout(900)
class ReplicatedZombieIT {
  private static final int PER_ROUND = 10_000;
  private static final int KEYS = 50;

  @TempDir Path dirs;

  @Test
  void shouldKeepAPausedReplicaFromCommittingAfterTheStandbyTookOver() throws Exception {
    String app = "zombie-" + Long.toHexString(System.nanoTime());
    String input = uniqueTopic("zombie-in");
    String output = uniqueTopic("zombie-out");
    admin().topics().createPartitionedTopic(input, 4);
    admin().topics().createNonPartitionedTopic(output);

    Replicas replicas = new Replicas(app, 1, List.of(input), dirs, "pulsar", output);
    int produced = 0;
    try (ChildJvm a = replicas.start("a")) {
      a.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      ChildJvm b = replicas.start("b"); // the standby
      // input keeps arriving across the freeze: 3 rounds over ~30 s
      CompletableFuture<Void> producing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  PulsarFixture.produce(
                      input, 0, 3 * PER_ROUND, i -> "k" + (i % KEYS), i -> "m-" + i, null, 30_000);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      produced += 3 * PER_ROUND;
      awaitCheckpoints(a, 3);
      a.pause();
      long frozenAt = System.nanoTime();
      String taken = b.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(240));
      long handoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
      assertThat(taken).isEqualTo("RUNNING layer=CHANGELOG");
      b.awaitLine(l -> l.startsWith("CHECKPOINT") && checkpointOf(l) > 0, sec(60));
      a.resume(); // the zombie wakes up in the middle of whatever it was doing
      String stopped = a.awaitLine(l -> l.startsWith("STOPPED"), Duration.ofSeconds(120));
      // it fails at whichever step of its work meets the fence first: its changelog write
      // (OwnershipLostException) or a send in a sink transaction the new holder aborted
      assertThat(stopped).startsWith("STOPPED FAILED");
      System.out.println("the resumed replica stopped: " + stopped);
      producing.get(3, TimeUnit.MINUTES);
      PulsarFixture.awaitNoBacklog(input, app, Duration.ofMinutes(3));
      awaitCheckpoints(b, 2);
      b.kill();
      b.close();

      CountedOutput out = CountedOutput.of(PulsarFixture.readAll(output));
      System.out.printf(
          "RESULT zombie inputs=%d outputs=%d duplicates=%d lost=%d handover_after_sigstop_ms=%d%n",
          produced, out.outputs(), out.duplicates(), produced - out.distinct(), handoverMs);
      out.assertExactlyOnce(produced, KEYS);
    }
  }
}
