package io.sluice.sink.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import io.sluice.errors.SinkException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.OutputScope;
import io.sluice.testkit.ClickHouseServer;
import io.sluice.testkit.sink.SinkCompatibilityKit;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ClickHouse sink against a real clickhouse-server 18.16: the kit plus ClickHouse specifics.
 */
public class ClickHouseSinkIT extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static ClickHouseServer ch;

  @BeforeAll
  static void startClickHouse() throws Exception {
    ch =
        ClickHouseServer.start(
            Files.createTempDirectory(
                Files.createDirectories(Path.of("target")), "clickhouse-sink-it"));
  }

  @AfterAll
  static void stopClickHouse() {
    if (ch != null) {
      ch.close();
    }
  }

  /** The kit's sink: one row (id, k) per record, sent to staging 5,000 rows at a time. */
  public static Sink<TestRecord> sink(String server, String run) {
    return ClickHouseSink.<TestRecord>builder()
        .name("clickhouse-kit")
        .url(server)
        .table(run)
        .batchRows(5000)
        .rows(r -> Map.of("id", r.id(), "k", r.key()))
        .build();
  }

  /** The kit's sink through {@code proxy}, retrying quickly; {@code batchRows} per insert. */
  private static Sink<TestRecord> throughProxy(
      AnswerDroppingProxy proxy, String run, int batchRows) {
    return ClickHouseSink.<TestRecord>builder()
        .name("clickhouse-kit")
        .url(proxy.url())
        .table(run)
        .batchRows(batchRows)
        .retryBackoff(java.time.Duration.ofMillis(10))
        .rows(r -> Map.of("id", r.id(), "k", r.key()))
        .build();
  }

  /** The quoted staging table of the batch a committable (or pending handle) of app kit names. */
  private static String stagingOf(String run, Committable batch) {
    return "`"
        + run
        + "__sluice_"
        + OutputScope.of("kit", "clickhouse-kit")
        + "_"
        + idOf(batch)
        + "`";
  }

  private static String idOf(Committable batch) {
    return new String(batch.bytes(), StandardCharsets.US_ASCII);
  }

  /** Writes records with ids {@code from} to {@code from + count - 1}, key "k". */
  private static void writeRecords(SinkWriter<TestRecord> writer, long from, long count) {
    for (long i = from; i < from + count; i++) {
      writer.write(new TestRecord(i, "k"));
    }
  }

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "clickhouse";
  }

  @Override
  protected String server() {
    return ch.httpUrl();
  }

  @Override
  protected String newRun() {
    return newTable("kit", "id UInt64, k String, _sluice_batch String", "ORDER BY id");
  }

  /** A fresh MergeTree table {@code <prefix><n>_<nanos>} with these columns and clauses. */
  private static String newTable(String prefix, String columns, String mergeTreeClauses) {
    String table = prefix + RUNS.incrementAndGet() + "_" + System.nanoTime();
    ch.query("CREATE TABLE " + table + " (" + columns + ") ENGINE = MergeTree " + mergeTreeClauses);
    return table;
  }

  @Override
  protected void stopServer() {
    ch.stop();
  }

  @Override
  protected void startServer() {
    ch.start();
  }

  @Override
  protected Map<Long, Long> visibleCounts(String run) {
    Map<Long, Long> counts = new HashMap<>();
    for (String line :
        ch.query("SELECT id, count() FROM " + run + " GROUP BY id FORMAT TSV").split("\n")) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        counts.put(Long.parseLong(f[0]), Long.parseLong(f[1]));
      }
    }
    return counts;
  }

  @Override
  protected void verifyExactlyOnce(String run, int messages) {
    String[] f =
        ch.query("SELECT count(), uniqExact(id) FROM " + run + " FORMAT TSV").trim().split("\t");
    System.out.println("clickhouse " + run + ": count()=" + f[0] + " uniqExact(id)=" + f[1]);
    assertThat(Long.parseLong(f[0])).as("count()").isEqualTo(messages);
    assertThat(Long.parseLong(f[1])).as("uniqExact(id)").isEqualTo(messages);
  }

  @Test
  void shouldCommitExactlyOnceWhenAnInsertLandsButItsAnswerIsLost() throws Exception {
    String run = newRun();
    Committable c;
    TestSinkContext ctx = new TestSinkContext("clickhouse-kit", 0);
    try (AnswerDroppingProxy proxy = AnswerDroppingProxy.start(ch.httpPort(), 1)) {
      // The same sink as the kit's, through a proxy that loses the answer of the first insert:
      // its rows are staged, the writer sees a failure and sends them again.
      Sink<TestRecord> sink = throughProxy(proxy, run, 5000);
      try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
        writeRecords(writer, 0, 7000);
        c = writer.prepareCommit(1).join();
      }
      assertThat(proxy.dropped()).as("answers dropped").isEqualTo(1);
      try (Committer committer = sink.createCommitter(ctx)) {
        committer.commit(c);
      }
    }
    assertThat(ch.query("SELECT count(), uniqExact(id) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("7000\t7000");
    assertThat(ch.query("SELECT uniqExact(_sluice_batch) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("1");
    assertThat(ch.query("EXISTS TABLE " + stagingOf(run, c) + " FORMAT TSV").trim())
        .as("staging dropped after commit")
        .isEqualTo("0");
  }

  @Test
  void shouldSendOnlyTheRestWhenAFailedInsertStagedAPrefixOfItsRows() throws Exception {
    // The first insert is ended after ~40 KB of its body (a FIN at a row boundary, as when a
    // client dies): ClickHouse stores that prefix of the chunk and the client sees a failure. The
    // retry must count staging and send only the rows that are not there.
    String run = newRun();
    TestSinkContext ctx = new TestSinkContext("clickhouse-kit", 0);
    try (AnswerDroppingProxy proxy = AnswerDroppingProxy.cutting(ch.httpPort(), 1, 40_000)) {
      Sink<TestRecord> sink = throughProxy(proxy, run, 5000);
      Committable c;
      try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
        writeRecords(writer, 0, 12_000);
        c = writer.prepareCommit(1).join();
      }
      assertThat(proxy.dropped()).as("answers dropped").isEqualTo(1);
      try (Committer committer = sink.createCommitter(ctx)) {
        committer.commit(c);
        committer.commit(c);
      }
      assertThat(ch.query("EXISTS TABLE " + stagingOf(run, c) + " FORMAT TSV").trim())
          .as("staging dropped after commit")
          .isEqualTo("0");
    }
    assertThat(
            ch.query("SELECT count(), uniqExact(id), min(id), max(id) FROM " + run + " FORMAT TSV")
                .trim())
        .isEqualTo("12000\t12000\t0\t11999");
  }

  @Test
  void shouldFailTheBatchWhenStagingHoldsMoreRowsThanWereSent() throws Exception {
    // A failed try that landed, plus a row nobody sent (a try that landed late, or a hand-made
    // change): the count before the retry cannot be explained by a prefix of the chunk, so the
    // batch fails (recovery aborts it) instead of guessing which rows to keep.
    String run = newRun();
    TestSinkContext ctx = new TestSinkContext("clickhouse-kit", 0);
    try (AnswerDroppingProxy proxy = AnswerDroppingProxy.start(ch.httpPort(), 1)) {
      Sink<TestRecord> sink = throughProxy(proxy, run, 5000);
      try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
        writeRecords(writer, 0, 5000);
        // the chunk is sent (async); its rows land, its answer is dropped
        String staging = stagingOf(run, ctx.pending().get(0));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (proxy.dropped() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(proxy.dropped()).as("answers dropped").isEqualTo(1);
        assertThat(ch.query("SELECT count() FROM " + staging + " FORMAT TSV").trim())
            .isEqualTo("5000");
        ch.query("INSERT INTO " + staging + " (id, k) VALUES (999999, 'stray')");
        CompletableFuture<Committable> prepared = writer.prepareCommit(1);
        assertThatThrownBy(prepared::join)
            .hasRootCauseInstanceOf(SinkException.class)
            .rootCause()
            .hasMessageContaining("holds 5001 rows where 0 to 5000 were sent")
            .hasMessageContaining("the batch is aborted");
      }
    }
  }

  @Test
  void shouldStillWriteToATableMadeForTheEarlierProtocolWithASeqColumn() {
    // Tables made for the earlier protocol have _sluice_seq UInt32: now an ordinary column that
    // rows do not set, so it takes its default.
    String run =
        newTable(
            "seqcol",
            "id UInt64, k String, _sluice_batch String, _sluice_seq UInt32",
            "ORDER BY id");
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      writeRecords(writer, 0, 3000);
      committer.commit(writer.prepareCommit(1).join());
    }
    assertThat(
            ch.query("SELECT count(), uniqExact(id), max(_sluice_seq) FROM " + run + " FORMAT TSV")
                .trim())
        .isEqualTo("3000\t3000\t0");
  }

  @Test
  void shouldDropTheTableMadeAheadForTheNextBatchWhenTheWriterDies() throws Exception {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    // Never closed: the process dies right after the first row, which started the CREATE of its
    // batch's staging table and of the next batch's, made ahead.
    SinkWriter<TestRecord> writer = sink.createWriter(ctx);
    writer.write(new TestRecord(1, "k"));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (stagingTables(run) < 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(stagingTables(run)).as("staging tables of this batch and the next").isEqualTo(2);
    assertThat(ctx.pending()).as("both registered before they were created").hasSize(2);
    // Recovery aborts every pending batch that is not in the restored checkpoint.
    try (Committer recovery = sink(run).createCommitter(new TestSinkContext(sink.name(), 0))) {
      ctx.pending().forEach(recovery::abort);
    }
    assertThat(stagingTables(run)).as("staging tables left").isZero();
    assertThat(visibleCounts(run)).isEmpty();
  }

  private static long stagingTables(String run) {
    return Long.parseLong(
        ch.query(
                "SELECT count() FROM system.tables WHERE startsWith(name, '"
                    + run
                    + "__sluice_') FORMAT TSV")
            .trim());
  }

  /**
   * The target altered between a batch's prepare and its commit: ATTACH … FROM refuses tables of
   * different structure, so the commit used to fail at every try (and the app at every restart).
   * The batch is copied into a table of the target's new structure and attached from there; a
   * column the target gained takes its default.
   */
  @Test
  void shouldCommitABatchStagedBeforeTheTargetWasAltered() {
    String run =
        newTable(
            "altered",
            "id UInt64, k String, _sluice_batch String",
            "PARTITION BY id % 2 ORDER BY id");
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writeRecords(writer, 0, 1000);
      c = writer.prepareCommit(1).join();
    }
    ch.query("ALTER TABLE " + run + " ADD COLUMN added String DEFAULT 'new'");
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
      committer.commit(c); // a replay finds it attached
    }
    assertThat(
            ch.query(
                    "SELECT count(), uniqExact(id), countIf(added = 'new') FROM "
                        + run
                        + " FORMAT TSV")
                .trim())
        .isEqualTo("1000\t1000\t1000");
    assertThat(
            ch.query(
                    "SELECT count() FROM system.tables WHERE database = 'default' AND name LIKE '"
                        + run
                        + "__sluice_%' FORMAT TSV")
                .trim())
        .as("staging tables left")
        .isEqualTo("0");
  }

  @Test
  void shouldCompleteAPartlyAttachedBatchOnReplay() {
    String run =
        newTable(
            "parted",
            "id UInt64, k String, _sluice_batch String",
            "PARTITION BY id % 3 ORDER BY id");
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writeRecords(writer, 0, 9000);
      c = writer.prepareCommit(1).join();
    }
    // A commit cut short (as by a crash between two attaches): one partition is in the target.
    ch.query("ALTER TABLE " + run + " ATTACH PARTITION ID '1' FROM " + stagingOf(run, c));
    assertThat(ch.query("SELECT count() FROM " + run + " FORMAT TSV").trim()).isEqualTo("3000");
    try (Committer afterRestart = sink(run).createCommitter(new TestSinkContext(sink.name(), 0))) {
      afterRestart.commit(c);
      afterRestart.commit(c);
    }
    assertThat(ch.query("SELECT count(), uniqExact(id) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("9000\t9000");
    assertThat(ch.query("SELECT DISTINCT _sluice_batch FROM " + run + " FORMAT TSV").trim())
        .isEqualTo(new String(c.bytes(), StandardCharsets.US_ASCII));
  }

  @Test
  void shouldRefuseATargetWhosePartsCannotBeAttached() {
    String table = "logtable" + System.nanoTime();
    ch.query("CREATE TABLE " + table + " (id UInt64, k String, _sluice_batch String) ENGINE = Log");
    Sink<TestRecord> sink = sink(table);
    assertThatThrownBy(() -> sink.createWriter(new TestSinkContext(sink.name(), 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("default." + table)
        .hasMessageContaining("engine Log")
        .hasMessageContaining("MergeTree");
  }

  /**
   * A merging engine can erase every row of a committed batch (here a SummingMergeTree folds the
   * batch's rows into rows of others), and a replay after a crash would take that batch for one not
   * attached yet and attach it again: such targets are refused.
   */
  @Test
  void shouldRefuseATargetWhoseMergesCanEraseACommittedBatch() {
    String table = "summing" + System.nanoTime();
    ch.query(
        "CREATE TABLE "
            + table
            + " (id UInt64, k String, _sluice_batch String) ENGINE = SummingMergeTree ORDER BY k");
    Sink<TestRecord> sink = sink(table);
    assertThatThrownBy(() -> sink.createWriter(new TestSinkContext(sink.name(), 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("default." + table)
        .hasMessageContaining("engine SummingMergeTree")
        .hasMessageContaining("plain MergeTree");
  }

  @Test
  void shouldNameTableColumnAndRecordWhenTheServerRefusesAValue() {
    String run = newRun();
    Sink<Map<String, Object>> sink =
        ClickHouseSink.<Map<String, Object>>builder()
            .url(ch.httpUrl())
            .table(run)
            .retryTimeout(java.time.Duration.ZERO)
            .rows(m -> m)
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<Map<String, Object>> writer = sink.createWriter(ctx)) {
      for (int i = 0; i < 5; i++) {
        writer.write(row(i, "k"));
      }
      writer.write(row("not-a-number", "k"));
      // The last insert of a batch is checked by the finisher: its refusal fails the prepared
      // future, which stops the app (its recovery aborts the batch and reads the records again).
      CompletableFuture<Committable> prepared = writer.prepareCommit(1);
      assertThatThrownBy(prepared::join)
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(SinkException.class)
          .hasMessageContaining("default." + run)
          .hasMessageContaining("column 'id'")
          .hasMessageContaining("record #5");
    }
    assertThat(visibleCounts(run)).isEmpty();
  }

  @Test
  void shouldKeepTheRowsWhenARowOfAnEarlierChunkIsRefused() {
    // A refused row in a chunk before the last is met on the processing thread, as before: the
    // prepare throws (this checkpoint fails) and keeps the rows.
    String run = newRun();
    Sink<Map<String, Object>> sink =
        ClickHouseSink.<Map<String, Object>>builder()
            .url(ch.httpUrl())
            .table(run)
            .batchRows(3)
            .retryTimeout(java.time.Duration.ZERO)
            .rows(m -> m)
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<Map<String, Object>> writer = sink.createWriter(ctx)) {
      writer.write(row(0, "k"));
      writer.write(row("not-a-number", "k"));
      writer.write(row(2, "k"));
      writer.write(row(3, "k"));
      assertThatThrownBy(() -> writer.prepareCommit(1))
          .isInstanceOf(SinkException.class)
          .hasMessageContaining("column 'id'")
          .hasMessageContaining("record #1");
      assertThatThrownBy(() -> writer.prepareCommit(2)).hasMessageContaining("record #1");
    }
    assertThat(visibleCounts(run)).isEmpty();
  }

  @Test
  void shouldCommitExactlyOnceWhenTheLastInsertOfABatchLandsButItsAnswerIsLost() throws Exception {
    // The last insert of a batch is awaited by the finisher thread while the next batch is
    // written: the retry of a lost answer, the count and the rebuild of staging happen there.
    String run = newRun();
    TestSinkContext ctx = new TestSinkContext("clickhouse-kit", 0);
    List<Committable> prepared = new ArrayList<>();
    try (AnswerDroppingProxy proxy = AnswerDroppingProxy.start(ch.httpPort(), 1)) {
      Sink<TestRecord> sink = throughProxy(proxy, run, 100_000);
      try (SinkWriter<TestRecord> writer = sink.createWriter(ctx);
          Committer committer = sink.createCommitter(ctx)) {
        List<CompletableFuture<Committable>> futures = new ArrayList<>();
        for (long b = 0; b < 3; b++) {
          writeRecords(writer, b * 4000, 4000);
          futures.add(writer.prepareCommit(b + 1));
        }
        for (CompletableFuture<Committable> f : futures) {
          prepared.add(f.join());
        }
        prepared.forEach(committer::commit);
        // replays change nothing
        prepared.forEach(committer::commit);
      }
      assertThat(proxy.dropped()).as("answers dropped").isEqualTo(1);
    }
    assertThat(ch.query("SELECT count(), uniqExact(id) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("12000\t12000");
    assertThat(ch.query("SELECT uniqExact(_sluice_batch) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("3");
    assertThat(stagingTables(run)).as("staging tables left").isZero();
  }

  @Test
  void shouldSkipARowTheServerRefusesAndSendTheRest() {
    String run = newRun();
    Sink<Map<String, Object>> sink =
        ClickHouseSink.<Map<String, Object>>builder()
            .url(ch.httpUrl())
            .table(run)
            .rows(m -> m)
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0, TestSinkContext.Policy.SKIP);
    Committable c;
    try (SinkWriter<Map<String, Object>> writer = sink.createWriter(ctx)) {
      for (int i = 0; i < 10; i++) {
        writer.write(i == 4 || i == 8 ? row("not-a-number-" + i, "k") : row(i, "k"));
      }
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(visibleCounts(run).keySet())
        .containsExactlyInAnyOrder(0L, 1L, 2L, 3L, 5L, 6L, 7L, 9L);
    assertThat(ctx.badRecords())
        .extracting(b -> b.record())
        .containsExactly(row("not-a-number-4", "k"), row("not-a-number-8", "k"));
    assertThat(ctx.badRecords().get(0).cause())
        .hasMessageContaining("column 'id'")
        .hasMessageContaining("record #4");
    assertThat(ctx.counter("sluice.sink.bad.records")).isEqualTo(2.0);
  }

  @Test
  void shouldRefuseAnUnknownColumnBeforeSending() {
    String run = newRun();
    Sink<Map<String, Object>> sink =
        ClickHouseSink.<Map<String, Object>>builder()
            .url(ch.httpUrl())
            .table(run)
            .rows(m -> m)
            .build();
    try (SinkWriter<Map<String, Object>> writer =
        sink.createWriter(new TestSinkContext(sink.name(), 0))) {
      writer.write(row(1, "a"));
      Map<String, Object> bad = row(2, "b");
      bad.put("colour", "red");
      assertThatThrownBy(() -> writer.write(bad))
          .isInstanceOf(SinkException.class)
          .hasMessageContaining("record #1")
          .hasMessageContaining("'colour'")
          .hasMessageContaining("default." + run);
    }
  }

  @Test
  void shouldExplainHowToAddTheBatchColumns() {
    String table = "plain" + System.nanoTime();
    ch.query("CREATE TABLE " + table + " (id UInt64) ENGINE = MergeTree ORDER BY id");
    Sink<Map<String, Object>> sink =
        ClickHouseSink.<Map<String, Object>>builder()
            .url(ch.httpUrl())
            .table(table)
            .rows(m -> m)
            .build();
    assertThatThrownBy(() -> sink.createWriter(new TestSinkContext(sink.name(), 0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ADD COLUMN _sluice_batch String");
  }

  private static Map<String, Object> row(Object id, String k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("k", k);
    return m;
  }

  @Test
  void shouldDetectThatThisServerHasNoDeduplicationToken() {
    io.sluice.sink.clickhouse.internal.ClickHouseHttp http =
        new io.sluice.sink.clickhouse.internal.ClickHouseHttp(
            ch.httpUrl(), "default", null, null, null, java.time.Duration.ofSeconds(10));
    String version = http.serverVersion();
    assertThat(version).startsWith("18.16");
    assertThat(
            io.sluice.sink.clickhouse.internal.ClickHouseHttp.supportsDeduplicationToken(version))
        .isFalse();
  }

  /** The staging tables of a run's target, by name. */
  private static List<String> stagingTableNames(String run) {
    return ch.query(
            "SELECT name FROM system.tables WHERE startsWith(name, '"
                + run
                + "__sluice_') ORDER BY name FORMAT TSVRaw")
        .lines()
        .filter(l -> !l.isBlank())
        .toList();
  }

  /**
   * A lost state directory takes the list of pending batches with it. The next start must still
   * drop the staging tables the earlier run left (they would stay for ever), and only those: not
   * another app's, or another shard's of the same app, staging into the same target.
   */
  @Test
  void shouldDropWhatALostStateDirectoryLeftAndNothingOfOtherApps() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext kit = new TestSinkContext(sink.name(), 0);
    SinkWriter<TestRecord> crashed = sink.createWriter(kit);
    writeRecords(crashed, 0, 3000);
    Committable committed = crashed.prepareCommit(1).join();
    try (Committer committer = sink.createCommitter(kit)) {
      committer.commit(committed);
    }
    writeRecords(crashed, 3000, 3000);
    crashed.close(); // killed before the next barrier, and then its state directory is lost
    TestSinkContext shard = kit.withApp("kit-shard-1");
    try (SinkWriter<TestRecord> writer = sink.createWriter(shard)) {
      writeRecords(writer, 10_000, 300); // another shard's batch, which it may still commit
    }
    List<String> kitTables =
        stagingTableNames(run).stream().filter(t -> t.contains(OutputScope.of(kit))).toList();
    List<String> shardTables =
        stagingTableNames(run).stream().filter(t -> t.contains(OutputScope.of(shard))).toList();
    assertThat(kitTables).as("the crashed run's staging tables").isNotEmpty();
    assertThat(shardTables).as("the shard's staging tables").isNotEmpty();

    try (Committer committer = sink.createCommitter(new TestSinkContext(sink.name(), 0))) {
      assertThat(committer.abortOrphans(List.of())).isEqualTo(kitTables.size());
      assertThat(committer.abortOrphans(List.of())).as("idempotent").isZero();
    }

    assertThat(stagingTableNames(run)).containsExactlyElementsOf(shardTables);
    assertThat(
            ch.query("SELECT count(), uniqExact(id), max(id) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("3000\t3000\t2999");
    try (Committer committer = sink.createCommitter(shard)) {
      assertThat(committer.abortOrphans(List.of())).isEqualTo(shardTables.size());
    }
    assertThat(stagingTableNames(run)).isEmpty();
  }

  /** A batch staged by a version whose staging tables carried no scope still commits. */
  @Test
  void shouldCommitABatchStagedUnderTheNameOfEarlierVersions() {
    String run = newRun();
    Sink<TestRecord> sink = sink(run);
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writeRecords(writer, 0, 500);
      c = writer.prepareCommit(1).join();
    }
    String legacy = "`" + run + "__sluice_" + idOf(c) + "`";
    ch.query("RENAME TABLE " + stagingOf(run, c) + " TO " + legacy);
    // A new sink, as after a restart: the batch was not prepared by this process.
    try (Committer committer = sink(run).createCommitter(new TestSinkContext(sink.name(), 0))) {
      committer.commit(c);
      committer.commit(c);
    }
    assertThat(ch.query("SELECT count(), uniqExact(id) FROM " + run + " FORMAT TSV").trim())
        .isEqualTo("500\t500");
    assertThat(ch.query("EXISTS TABLE " + legacy + " FORMAT TSV").trim()).isEqualTo("0");
  }
}
