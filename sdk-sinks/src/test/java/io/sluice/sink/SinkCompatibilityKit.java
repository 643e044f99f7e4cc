package io.sluice.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.SinkException;
import io.sluice.testkit.ChildJvm;
import io.sluice.testkit.PulsarStandalone;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every exactly-once sink passes against its real server: delivery, idempotent commit,
 * invisible aborted output, and exactly-once delivery across SIGKILLs of a real job.
 *
 * <p>A subclass supplies the server address, a factory for the sink (static, so the crash job in a
 * child JVM builds the same sink; see {@link SinkCrashJob}) and a way to count what is visible.
 * Each test uses its own {@code run} namespace (key prefix, table) so tests never see each other's
 * output. The crash test's size is set by {@code -Dsluice.crash.messages} (default 200,000) and
 * {@code -Dsluice.crash.kills} (default 6).
 */
public abstract class SinkCompatibilityKit {
  static final int MESSAGES = Integer.getInteger("sluice.crash.messages", 200_000);
  static final int KILLS = Integer.getInteger("sluice.crash.kills", 6);
  static final int KEYS = 100;

  private static PulsarAdmin admin;
  private static PulsarClient client;

  @TempDir Path stateDir;

  /** The kind {@link SinkCrashJob#sink} understands, e.g. {@code redis}. */
  protected abstract String kind();

  /** The server address handed to the sink factory. */
  protected abstract String server();

  /** A fresh namespace for one test (creates tables if the sink needs them). */
  protected abstract String newRun();

  /** How many times each id is visible in the run's output. */
  protected abstract Map<Long, Long> visibleCounts(String run);

  /** Sink-specific checks after the crash test (e.g. exact sums); ids are 0..messages-1. */
  protected void verifyExactlyOnce(String run, int messages) {}

  protected final Sink<TestRecord> sink(String run) {
    return SinkCrashJob.sink(kind(), server(), run);
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
    assertThat(ctx.pending()).as("registered before staging").containsExactly(c);
    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.commit(c);
    }
    Map<Long, Long> counts = visibleCounts(run);
    assertThat(counts).hasSize(25_000);
    assertThat(counts.values()).containsOnly(1L);
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
      // Committing output that is gone must fail loudly, never pass silently.
      assertThatThrownBy(() -> committer.commit(c)).isInstanceOf(SinkException.class);
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
    admin().topics().createPartitionedTopic(input, 8);
    long seed = Long.getLong("sluice.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    System.out.println("crash test " + kind() + " seed " + seed);

    CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> produceSlowly(input));
    int kills = 0;
    while (kills < KILLS) {
      try (ChildJvm job = startJob(run, input)) {
        job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
        Thread.sleep(200 + random.nextInt(2800));
        job.kill();
        kills++;
      }
    }
    producing.get(5, TimeUnit.MINUTES);
    try (ChildJvm job = startJob(run, input)) {
      job.awaitLine(l -> l.startsWith("RUNNING"), Duration.ofSeconds(90));
      awaitNoBacklog(input, Duration.ofMinutes(5));
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

  private ChildJvm startJob(String run, String input) {
    PulsarStandalone broker = PulsarStandalone.shared();
    List<String> args =
        new ArrayList<>(
            List.of(
                kind(),
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
    try (Producer<String> producer =
        client()
            .newProducer(Schema.STRING)
            .topic(topic)
            .blockIfQueueFull(true)
            .batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS)
            .create()) {
      int chunk = 1000;
      for (int i = 0; i < MESSAGES; i += chunk) {
        for (int j = i; j < Math.min(MESSAGES, i + chunk); j++) {
          producer.newMessage().key("k" + (j % KEYS)).value("m-" + j).sendAsync();
        }
        producer.flush();
        Thread.sleep(Math.max(1, 15_000L * chunk / MESSAGES));
      }
    } catch (Exception e) {
      throw new IllegalStateException("producing input failed", e);
    }
  }

  private static void awaitNoBacklog(String topic, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      var stats = admin().topics().getPartitionedStats(topic, true);
      long backlog = 0;
      boolean all = true;
      for (var p : stats.getPartitions().values()) {
        var sub = p.getSubscriptions().get("sink-crash-job");
        if (sub == null) {
          all = false;
        } else {
          backlog += sub.getMsgBacklog();
        }
      }
      if (all && backlog == 0 && !stats.getPartitions().isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("backlog of sink-crash-job still " + backlog);
      }
      Thread.sleep(250);
    }
  }

  private static synchronized PulsarAdmin admin() throws Exception {
    if (admin == null) {
      admin = PulsarAdmin.builder().serviceHttpUrl(PulsarStandalone.shared().adminUrl()).build();
    }
    return admin;
  }

  private static synchronized PulsarClient client() throws Exception {
    if (client == null) {
      client = PulsarClient.builder().serviceUrl(PulsarStandalone.shared().serviceUrl()).build();
    }
    return client;
  }

  @AfterAll
  static void closeClients() throws Exception {
    synchronized (SinkCompatibilityKit.class) {
      if (client != null) {
        client.close();
        client = null;
      }
      if (admin != null) {
        admin.close();
        admin = null;
      }
    }
  }
}
