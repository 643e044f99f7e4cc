package io.sluice.testkit.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.errors.CommitLostException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every exactly-once sink passes against its real server: delivery, idempotent commit,
 * invisible aborted output, bad records, meters, and exactly-once delivery across SIGKILLs of a
 * real job and across an outage of the server. Public so that a sink of your own runs it too.
 *
 * <pre>{@code
 * class MySinkIT extends SinkCompatibilityKit {
 *   protected String kind() { return "my"; }
 *   protected String server() { return myServer.url(); }
 *   protected Sink<TestRecord> createSink(String server, String run) {
 *     return MySink.<TestRecord>builder().url(server).table(run).build();
 *   }
 *   protected String newRun() { ... }           // a fresh table / key prefix
 *   protected Map<Long, Long> visibleCounts(String run) { ... }
 *   protected void stopServer() { ... }
 *   protected void startServer() { ... }
 * }
 * }</pre>
 *
 * <p>A subclass supplies the server address, the sink (see {@link #createSink}: the crash and
 * outage tests build the same sink in a child JVM, {@link SinkCrashJob}, which creates the subclass
 * with its no-argument constructor, so {@code createSink} must not depend on the test's state) and
 * a way to count what is visible. A record whose {@link TestRecord#key()} is null is one the sink's
 * mapping must refuse (hand to {@link io.sluice.sink.SinkContext#badRecord}). Each test uses its
 * own {@code run} namespace (key prefix, table) so tests never see each other's output. The jobs
 * read their input from {@link PulsarStandalone#shared()}. The crash test's size is set by {@code
 * -Dsluice.crash.messages} (default 200,000) and {@code -Dsluice.crash.kills} (default 6); the
 * outage test's by {@code -Dsluice.outage.messages} (default 50,000) and {@code
 * -Dsluice.outage.seconds} (default 20).
 */
public abstract class SinkCompatibilityKit {
  static final int MESSAGES = Integer.getInteger("sluice.crash.messages", 200_000);
  static final int KILLS = Integer.getInteger("sluice.crash.kills", 6);
  static final int KEYS = 100;
  static final int OUTAGE_MESSAGES = Integer.getInteger("sluice.outage.messages", 50_000);
  static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("sluice.outage.seconds", 20));
  private static final Duration MINUTE = Duration.ofMinutes(1);

  @TempDir Path stateDir;

  /** A short name of the sink for topic names and the RESULT lines, e.g. {@code redis}. */
  protected abstract String kind();

  /**
   * The sink under test, writing into {@code run} on {@code server}. Called on an instance created
   * with the subclass's no-argument constructor in the crash job's child JVM too: use only the
   * arguments.
   */
  protected abstract Sink<TestRecord> createSink(String server, String run);

  /**
   * Whether {@link #stopServer}/{@link #startServer} can take the server away under a running job
   * (default true); when false the outage test is skipped.
   */
  protected boolean canStopServer() {
    return true;
  }

  /**
   * Whether the sink counts its own retries in {@code sluice.sink.retries} or {@code
   * sluice.sink.commit.retries} (default true). When false (the Pulsar client resends by itself),
   * the outage test proves that the outage reached the sink by the job's checkpoints standing still
   * through it instead.
   */
  protected boolean countsRetries() {
    return true;
  }

  /** The server address handed to the sink factory. */
  protected abstract String server();

  /** A fresh namespace for one test (creates tables if the sink needs them). */
  protected abstract String newRun();

  /** How many times each id is visible in the run's output. */
  protected abstract Map<Long, Long> visibleCounts(String run);

  /** Sink-specific checks after the crash test (e.g. exact sums); ids are 0..messages-1. */
  protected void verifyExactlyOnce(String run, int messages) {}

  /** Stops the server, keeping its address and data (the outage test's first half). */
  protected abstract void stopServer();

  /** Starts the stopped server again on the same address and data. */
  protected abstract void startServer();

  /** {@link #createSink} on this test's server. */
  protected final Sink<TestRecord> sink(String run) {
    return createSink(server(), run);
  }

  private static TestRecord record(long id) {
    return new TestRecord(id, "k" + (id % KEYS));
  }

  private static Committable writeAndPrepare(
      Sink<TestRecord> sink, TestSinkContext ctx, long from, long count, long checkpoint) {
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      for (long i = from; i < from + count; i++) {
        writer.write(record(i));
      }
      return writer.prepareCommit(checkpoint).join();
    }
  }

  @Test
  void shouldDeliverEveryRecordOnce() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c = writeAndPrepare(sink, ctx, 0, 25_000, 1);
    assertThat(visibleCounts(run)).as("visible before commit").isEmpty();
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      // contains, not containsExactly: a sink may also register output it prepares ahead for a
      // later batch (ClickHouse creates the next batch's staging table early); recovery aborts it.
      assertThat(ctx.pending())
          .as("registered before staging")
          .contains(committer.pendingHandleOf(c));
      committer.commit(c);
    }
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(25_000);
    assertThat(counts.values()).containsOnly(1L);
  }

  @Test
  void shouldCountRecordsBytesAndCommitsPerSink() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c = writeAndPrepare(sink, ctx, 0, 3000, 1);
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(ctx.counter("sluice.sink.records")).isEqualTo(3000.0);
    // Every record is at least "{id,k}" on the wire; a sink that counts nothing fails here.
    assertThat(ctx.counter("sluice.sink.bytes")).isGreaterThan(3000.0 * 8);
    var latency =
        ctx.meterRegistry()
            .get("sluice.sink.commit.latency")
            .tag("app", "kit")
            .tag("sink", sink.name())
            .timer();
    assertThat(latency.count()).isEqualTo(1);
    assertThat(latency.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(ctx.counter("sluice.sink.retries")).isZero();
    assertThat(ctx.counter("sluice.sink.errors")).isZero();
  }

  /** A record without a key is one the kit's mappings cannot map (a missing field). */
  @Test
  void shouldHandRecordsItCannotMapToTheBadRecordHandlerAndWriteTheRest() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0, TestSinkContext.Policy.SKIP);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      for (long i = 0; i < 2000; i++) {
        writer.write(i % 100 == 7 ? new TestRecord(i, null) : record(i));
      }
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(1980).doesNotContainKeys(7L, 107L, 1907L);
    assertThat(counts.values()).containsOnly(1L);
    assertThat(ctx.badRecords()).hasSize(20);
    assertThat(ctx.badRecords().get(0).record()).isEqualTo(new TestRecord(7, null));
    assertThat(ctx.counter("sluice.sink.bad.records")).isEqualTo(20.0);
    assertThat(ctx.counter("sluice.sink.records")).isEqualTo(1980.0);
    // With the default policy FAIL the same record stops the writer, naming it.
    Sink<TestRecord> strict = sink(newRun());
    try (SinkWriter<TestRecord> writer =
        strict.createWriter(new TestSinkContext(strict.name(), 0))) {
      assertThatThrownBy(() -> writer.write(new TestRecord(7, null)))
          .isInstanceOf(SinkException.class)
          .hasMessageContaining("TestRecord[id=7, key=null]");
    }
  }

  @Test
  void shouldIgnoreRepeatedCommits() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable first;
    Committable second;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      for (long i = 0; i < 3000; i++) {
        writer.write(record(i));
      }
      first = writer.prepareCommit(1).join();
      for (long i = 3000; i < 5000; i++) {
        writer.write(record(i));
      }
      second = writer.prepareCommit(2).join();
      assertThat(writer.prepareCommit(3).join()).as("nothing written").isNull();
    }
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.commit(first);
      committer.commit(first);
      committer.commit(second);
      committer.commit(second);
    }
    // A fresh committer, as after a restart: replays both.
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.commit(first);
      committer.commit(second);
    }
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(5000);
    assertThat(counts.values()).containsOnly(1L);
  }

  @Test
  void shouldLeaveNothingVisibleAfterAbort() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c = writeAndPrepare(sink, ctx, 0, 5000, 1);
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.abort(c);
      committer.abort(c);
      assertThat(visibleCounts(run)).isEmpty();
      // Committing output that is gone must fail loudly, never pass silently, and as lost (the
      // runtime then fails the app instead of retrying a commit that cannot succeed).
      assertThatThrownBy(() -> committer.commit(c)).isInstanceOf(CommitLostException.class);
    }
    assertThat(visibleCounts(run)).isEmpty();
  }

  @Test
  void shouldAbortUnpreparedOutputOnRecovery() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext crashed = new TestSinkContext(sink.name(), 0);
    SinkWriter<TestRecord> writer = sink.createWriter(crashed);
    for (long i = 0; i < 20_000; i++) {
      writer.write(record(i));
    }
    writer.close(); // "crash": no prepare, so nothing may become visible
    assertThat(crashed.pending()).as("output was staged, so it was registered").isNotEmpty();
    TestSinkContext restarted = new TestSinkContext(sink.name(), 0);
    try (Committer committer = sink.createCommitter(restarted)) {
      crashed.pending().forEach(committer::abort);
      Committable c = writeAndPrepare(sink, restarted, 20_000, 1000, 1);
      committer.commit(c);
    }
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(1000);
    assertThat(counts.keySet()).allMatch(id -> id >= 20_000);
    assertThat(counts.values()).containsOnly(1L);
  }

  @Test
  void shouldDeliverExactlyOnceAcrossSigkills() throws Exception {
    String run = newRun();
    String input = "persistent://public/default/sink-crash-" + kind() + "-" + System.nanoTime();
    PulsarFixture.admin().topics().createPartitionedTopic(input, 8);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("crash test " + kind() + " seed " + seed);

    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> produceSlowly(input));
    int kills = ChildJvm.killAtRandomMoments(() -> startJob(run, input), KILLS, random);
    producing.get(5, TimeUnit.MINUTES);
    try (ChildJvm job = startJob(run, input)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      PulsarFixture.awaitNoBacklog(input, "sink-crash-job", Duration.ofMinutes(5));
      job.kill();
    }

    Map<Long, Long> counts = visibleCounts(run);
    long outputs = counts.values().stream().mapToLong(Long::longValue).sum();
    long duplicates = counts.values().stream().mapToLong(n -> n - 1).sum();
    long lost = MESSAGES - counts.keySet().stream().filter(id -> id < MESSAGES).count();
    System.out.printf(
        "RESULT crash sink=%s inputs=%d outputs=%d duplicates=%d lost=%d kills=%d%n",
        kind(), MESSAGES, outputs, duplicates, lost, kills);
    assertThat(duplicates).as("duplicates (seed %d)", seed).isZero();
    assertThat(lost).as("lost (seed %d)", seed).isZero();
    assertThat(counts).hasSize(MESSAGES);
    verifyExactlyOnce(run, MESSAGES);
  }

  /**
   * A 20 s server outage in the middle of a real job: the writers wait and retry (backpressure on
   * the readers) instead of failing the app, and once the server is back the job delivers every
   * record exactly once.
   */
  @Test
  void shouldRideOutAServerOutageExactlyOnce() throws Exception {
    assumeTrue(canStopServer(), kind() + ": its server cannot be stopped under a running job");
    String run = newRun();
    String input = "persistent://public/default/sink-outage-" + kind() + "-" + System.nanoTime();
    PulsarFixture.admin().topics().createPartitionedTopic(input, 4);
    CompletableFuture<Void> producing =
        CompletableFuture.runAsync(() -> produce(input, OUTAGE_MESSAGES, 30_000));
    long outageNanos;
    try (ChildJvm job = startJob(run, input)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      job.awaitLine(l -> l.startsWith("CHECKPOINT") && !l.startsWith("CHECKPOINT 0 "), MINUTE);
      Thread.sleep(3000);
      long stopped = System.nanoTime();
      stopServer();
      try {
        Thread.sleep(OUTAGE.toMillis());
      } finally {
        startServer();
      }
      outageNanos = System.nanoTime() - stopped;
      String felt =
          countsRetries()
              ? job.awaitLine(
                  l -> l.matches("CHECKPOINT \\d+ retries=[1-9].*"), Duration.ofMinutes(2))
              : job.awaitLine(new StallThenProgress(), Duration.ofMinutes(2));
      System.out.println("outage " + kind() + ": job reported " + felt);
      producing.get(5, TimeUnit.MINUTES);
      PulsarFixture.awaitNoBacklog(input, "sink-crash-job", Duration.ofMinutes(5));
      assertThat(job.isAlive()).as("the job survived the outage; see %s", job.logFile()).isTrue();
      job.kill();
    }
    Map<Long, Long> counts = visibleCounts(run);
    long outputs = counts.values().stream().mapToLong(Long::longValue).sum();
    long duplicates = counts.values().stream().mapToLong(n -> n - 1).sum();
    long lost =
        OUTAGE_MESSAGES - counts.keySet().stream().filter(id -> id < OUTAGE_MESSAGES).count();
    System.out.printf(
        "RESULT outage sink=%s inputs=%d outputs=%d duplicates=%d lost=%d outage_s=%.1f%n",
        kind(), OUTAGE_MESSAGES, outputs, duplicates, lost, outageNanos / 1e9);
    assertThat(duplicates).as("duplicates").isZero();
    assertThat(lost).as("lost").isZero();
    assertThat(counts).hasSize(OUTAGE_MESSAGES);
    verifyExactlyOnce(run, OUTAGE_MESSAGES);
  }

  /**
   * Matches the first {@code CHECKPOINT} line past a stall: the job prints its newest checkpoint
   * every 200 ms, so 25 lines in a row with one id mean no checkpoint completed for 5 s or more.
   */
  private static final class StallThenProgress implements Predicate<String> {
    private static final int STALL_LINES = 25;
    private long id = -1;
    private int same;
    private long stalledAt = -1;

    @Override
    public boolean test(String line) {
      if (!line.startsWith("CHECKPOINT ")) {
        return false;
      }
      long current = Long.parseLong(line.split(" ")[1]);
      if (stalledAt >= 0) {
        return current > stalledAt;
      }
      same = current == id ? same + 1 : 1;
      id = current;
      if (same >= STALL_LINES) {
        stalledAt = id;
      }
      return false;
    }
  }

  private ChildJvm startJob(String run, String input) {
    PulsarStandalone broker = PulsarStandalone.shared();
    List<String> args =
        new ArrayList<>(
            List.of(
                getClass().getName(),
                server(),
                run,
                broker.serviceUrl(),
                broker.adminUrl(),
                input,
                stateDir.toString(),
                "300"));
    return ChildJvm.builder(SinkCrashJob.class)
        .name("SinkCrashJob-" + kind())
        .jvmArgs("-Xmx512m")
        .args(args)
        .start();
  }

  /** Produces the input over ~15 s so kills land while data is still arriving. */
  private static void produceSlowly(String topic) {
    produce(topic, MESSAGES, 15_000);
  }

  private static void produce(String topic, int messages, long overMillis) {
    try {
      PulsarFixture.produce(
          topic, 0, messages, j -> "k" + (j % KEYS), j -> "m-" + j, null, overMillis);
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }
}
