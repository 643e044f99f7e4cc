package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.broker;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntPredicate;

/**
 * The replicas of one replicated app, each a child JVM running {@link ReplicaJob} under its own
 * instance name on its own state directory, and what the replica tests do to them: start, SIGKILL
 * or stop gracefully an active replica and wait for a standby to take its shard over, wait until
 * the input is committed. Keeps which replicas are active and the recovery layer of each take-over.
 *
 * <pre>{@code
 * try (Replicas replicas = new Replicas("orders", 2, List.of(input), dirs, "pulsar", output)) {
 *   replicas.join("a"); replicas.join("b"); replicas.join("c");
 *   replicas.awaitActive();
 *   replicas.kill(random);   // a standby takes over; the killed one comes back as a standby
 *   replicas.awaitCommitted();
 * }
 * }</pre>
 */
final class Replicas implements AutoCloseable {
  private static final Duration TAKE_OVER = Duration.ofSeconds(120);

  private final String app;
  private final int shards;
  private final List<String> inputs;
  private final Path dirs;
  private final List<String> output;
  private final List<String> names = new ArrayList<>();
  private final List<ChildJvm> jvms = new ArrayList<>();
  private final Set<Integer> active = new TreeSet<>();
  private final Set<Integer> gone = new TreeSet<>();
  private final List<String> layers = new ArrayList<>();
  private int kills;
  private int freezes;
  private int leaves;

  /**
   * @param dirs parent of the replicas' state directories (one per instance name)
   * @param output the job's output arguments (see {@link ReplicaJob})
   */
  Replicas(String app, int shards, List<String> inputs, Path dirs, String... output) {
    this.app = app;
    this.shards = shards;
    this.inputs = List.copyOf(inputs);
    this.dirs = dirs;
    this.output = List.of(output);
  }

  /** Starts replica {@code name} on directory {@code <dirs>/<name>}, kept across its restarts. */
  ChildJvm start(String name) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            app,
            name,
            Integer.toString(shards),
            broker().serviceUrl(),
            broker().adminUrl(),
            String.join(",", inputs),
            dirs.resolve(name).toString(),
            "300"));
    args.addAll(output);
    return ChildJvm.builder(ReplicaJob.class)
        .name(app + "-" + name)
        .jvmArgs("-Xmx384m")
        .args(args)
        .start();
  }

  /** Starts a new replica {@code name} (a fresh directory unless one of that name ran before). */
  void join(String name) {
    names.add(name);
    jvms.add(start(name));
  }

  /** Waits until every shard has an active replica. */
  void awaitActive() {
    while (active.size() < shards) {
      active.add(awaitRunning(active).index());
    }
  }

  /**
   * SIGKILLs an active replica picked by {@code random}, waits for a standby to take its shard over
   * and restarts the killed one on its (now stale) directory, where it stands by.
   */
  void kill(Random random) {
    int victim = pickActive(random);
    jvms.get(victim).kill();
    kills++;
    takeOver(victim);
    jvms.get(victim).close();
    jvms.set(victim, start(names.get(victim)));
  }

  /**
   * Freezes an active replica picked by {@code random} with SIGSTOP (its connections stay open, as
   * in a long GC pause), waits until a standby took its shard over (once the broker's keepalive
   * dropped the frozen one), then resumes it with SIGCONT: it must stop on the fence, failed,
   * having committed nothing more. It is then restarted as a standby on its directory.
   */
  void freeze(Random random) {
    int victim = pickActive(random);
    ChildJvm frozen = jvms.get(victim);
    frozen.pause();
    freezes++;
    takeOver(victim);
    frozen.resume();
    assertThat(frozen.awaitLine(l -> l.startsWith("STOPPED"), sec(120)))
        .as("the resumed replica after its shard was taken over")
        .startsWith("STOPPED FAILED");
    frozen.kill();
    frozen.close();
    jvms.set(victim, start(names.get(victim)));
  }

  /**
   * Stops an active replica picked by {@code random} gracefully, for good (SIGTERM: it closes its
   * app, which takes a final checkpoint and releases its lease), and waits for a standby to take
   * its shard over.
   */
  void leave(Random random) {
    int leaver = pickActive(random);
    ChildJvm replica = jvms.get(leaver);
    replica.terminate();
    assertThat(replica.awaitLine(l -> l.startsWith("CLOSED"), sec(90)))
        .as("the leaving replica's close")
        .isEqualTo("CLOSED");
    assertThat(replica.waitFor(sec(30))).as("exit code of the leaving replica").isNotEqualTo(-1);
    gone.add(leaver);
    leaves++;
    takeOver(leaver);
  }

  private int pickActive(Random random) {
    List<Integer> candidates = new ArrayList<>(active);
    int picked = candidates.get(random.nextInt(candidates.size()));
    active.remove(picked);
    return picked;
  }

  private void takeOver(int former) {
    Set<Integer> excluded = new TreeSet<>(active);
    excluded.add(former);
    excluded.addAll(gone);
    Running taker = awaitRunning(excluded);
    active.add(taker.index());
    layers.add(taker.layer());
  }

  /** A replica that became active: its index and the layer it recovered from. */
  private record Running(int index, String layer) {}

  /**
   * Waits up to 120 s for a replica whose index is not in {@code excluded} to print RUNNING (it
   * took a shard's lease and recovered); lines before it are skipped.
   */
  private Running awaitRunning(Set<Integer> excluded) {
    long deadline = System.nanoTime() + TAKE_OVER.toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < jvms.size(); i++) {
        if (excluded.contains(i)) {
          continue;
        }
        String line = jvms.get(i).readLine(Duration.ofMillis(100));
        while (line != null && !line.startsWith("RUNNING")) {
          line = jvms.get(i).readLine(Duration.ofMillis(10));
        }
        if (line != null) {
          return new Running(i, line.substring("RUNNING layer=".length()));
        }
      }
    }
    throw new AssertionError("no replica became active within " + TAKE_OVER);
  }

  /**
   * Waits until the app's durable cursors hold no backlog on any input and every active replica
   * completed two more checkpoints: everything produced so far is committed.
   */
  void awaitCommitted() throws Exception {
    for (String input : inputs) {
      PulsarFixture.awaitNoBacklog(input, app, Duration.ofMinutes(3));
    }
    for (int i : active) {
      awaitCheckpoints(jvms.get(i), 2);
    }
  }

  /** Replicas started so far, the ones that left included. */
  int instances() {
    return names.size();
  }

  int kills() {
    return kills;
  }

  int freezes() {
    return freezes;
  }

  int leaves() {
    return leaves;
  }

  /** The recovery layer of each take-over, in order. */
  List<String> layers() {
    return List.copyOf(layers);
  }

  /** SIGKILLs every replica still running. */
  @Override
  public void close() {
    jvms.forEach(ChildJvm::kill);
    jvms.forEach(ChildJvm::close);
  }

  /**
   * Waits until {@code replica} completed {@code n} more checkpoints than the one it reports now,
   * so that what it had read by then is committed (waits 30 s for the report, 60 s for the rest).
   */
  static void awaitCheckpoints(ChildJvm replica, int n) {
    long seen = checkpointOf(replica.awaitLine(l -> l.startsWith("CHECKPOINT"), sec(30)));
    replica.awaitLine(l -> l.startsWith("CHECKPOINT") && checkpointOf(l) >= seen + n, sec(60));
  }

  /** The id in a {@code CHECKPOINT <id> partitions=<n>} line. */
  static long checkpointOf(String line) {
    return Long.parseLong(line.split(" ")[1]);
  }

  /** The partition count in a {@code CHECKPOINT <id> partitions=<n>} line. */
  static int partitionsOf(String line) {
    return Integer.parseInt(line.substring(line.indexOf("partitions=") + "partitions=".length()));
  }

  /**
   * Waits up to {@code timeout} until replica {@code index} reports that it reads {@code
   * partitions} partitions; lines before are skipped.
   */
  void awaitReading(int index, IntPredicate partitions, Duration timeout) {
    jvms.get(index)
        .awaitLine(l -> l.startsWith("CHECKPOINT") && partitions.test(partitionsOf(l)), timeout);
  }

  /** SIGKILLs replica {@code index}; {@link #restart} brings it back. */
  void kill(int index) {
    jvms.get(index).kill();
    kills++;
    jvms.get(index).close();
  }

  /** Restarts replica {@code index} on its directory, waiting for nothing. */
  void restart(int index) {
    jvms.set(index, start(names.get(index)));
  }

  /** Waits until replica {@code index} completed {@code n} more checkpoints (see below). */
  void awaitCheckpoints(int index, int n) {
    awaitCheckpoints(jvms.get(index), n);
  }

  /**
   * Produces values {@code from, from + 1, …}: {@code perRound} of them on each of {@code inputs}
   * in turn, keyed {@code k0 … k<keys - 1>}; returns the next value's number.
   */
  static int produce(List<String> inputs, int from, int perRound, int keys) throws Exception {
    int next = from;
    for (String input : inputs) {
      PulsarFixture.produce(input, "m", next, perRound, keys);
      next += perRound;
    }
    return next;
  }

  /** {@link #produce} on another thread, while a round's replicas are killed. */
  static CompletableFuture<Void> produceAsync(
      List<String> inputs, int from, int perRound, int keys) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            produce(inputs, from, perRound, keys);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  static Duration sec(long s) {
    return Duration.ofSeconds(s);
  }
}
