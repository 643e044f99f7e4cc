package io.sluice.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.clickhouse.ClickHouseSink;
import io.sluice.sink.hdfs.HdfsSink;
import io.sluice.sink.redis.RedisCommand;
import io.sluice.sink.redis.RedisSink;
import io.sluice.testkit.ClickHouseServer;
import io.sluice.testkit.MiniHdfs;
import io.sluice.testkit.RedisServer;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;

/**
 * Each sink's throughput against its plain client writing the same rows in the same run:
 *
 * <ul>
 *   <li>ClickHouse: the same JSONEachRow POSTs, straight into a table (no staging, no move);
 *   <li>Redis: a Jedis pipeline of the same commands (two HINCRBY per record);
 *   <li>HDFS: one plain FileSystem stream per batch on the raw local file system.
 * </ul>
 *
 * The Sluice side drives the sink as the runtime does: {@code write} per record, then per
 * checkpoint ({@code checkpointRows} rows) {@code prepareCommit} on the writing thread and {@code
 * commit} on a coordinator thread once the prepared future completes. The ClickHouse sink sends
 * {@code batch} rows per insert, like the plain side. Plain and Sluice runs alternate; the reported
 * ratio is the median of the rounds' ratios, after three unmeasured warm-up runs of each.
 *
 * <p>Args: {@code [rows=1000000] [rounds=5] [batch=20000] [sinks=clickhouse,redis,hdfs]
 * [checkpointRows=batch]}. Prints per sink {@code RESULT sink=<name> plain_rows_per_s=…
 * sluice_rows_per_s=… ratio=…}.
 */
public final class SinkBench {
  private record Row(long id, String key) {}

  private interface Runner {
    /** Writes the rows once into a fresh namespace; returns the elapsed nanoseconds. */
    long run(String namespace) throws Exception;
  }

  private final int rows;
  private static final int WARM_UP_RUNS = 3;

  private final int batch;

  /** Rows between two checkpoints of the Sluice side (prepareCommit, then commit). */
  private final int checkpointRows;

  private final List<Row> data;

  private SinkBench(int rows, int batch, int checkpointRows) {
    this.rows = rows;
    this.batch = batch;
    this.checkpointRows = checkpointRows;
    this.data = new ArrayList<>(rows);
    for (long i = 0; i < rows; i++) {
      data.add(new Row(i, "k" + (i % 100)));
    }
  }

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
    List<String> sinks =
        Arrays.asList((args.length > 3 ? args[3] : "clickhouse,redis,hdfs").split(","));
    Path work = Path.of("work-data", "bench-sinks-" + System.currentTimeMillis());
    Files.createDirectories(work);
    int checkpointRows = args.length > 4 ? Integer.parseInt(args[4]) : batch;
    System.out.printf(
        Locale.ROOT,
        "sinks: %d rows, %d rounds, %d rows per plain batch and ClickHouse insert, a checkpoint"
            + " every %d rows%n",
        rows,
        rounds,
        batch,
        checkpointRows);
    SinkBench bench = new SinkBench(rows, batch, checkpointRows);
    List<String> results = new ArrayList<>();
    if (sinks.contains("clickhouse")) {
      try (ClickHouseServer ch = ClickHouseServer.start(work.resolve("clickhouse"))) {
        results.add(
            bench.compare(
                "clickhouse", rounds, bench.plainClickHouse(ch), bench.sluiceClickHouse(ch)));
      }
    }
    if (sinks.contains("redis")) {
      try (RedisServer redis = RedisServer.start(work.resolve("redis"));
          RedisClient client = RedisClient.create(redis.host(), redis.port())) {
        results.add(
            bench.compare(
                "redis", rounds, bench.plainRedis(client), bench.sluiceRedis(redis.url())));
      }
    }
    if (sinks.contains("hdfs")) {
      String dir = work.resolve("hdfs").toAbsolutePath().toString();
      FileSystem local = FileSystem.getLocal(new Configuration()).getRawFileSystem();
      results.add(
          bench.compare(
              "hdfs",
              rounds,
              bench.plainHdfs(local, dir),
              bench.sluiceHdfs(dir, new Configuration())));
    }
    if (sinks.contains("hdfs-dfs")) {
      // the same comparison on a real HDFS (MiniDFSCluster: namenode and datanode in this JVM)
      try (MiniHdfs hdfs = MiniHdfs.start(work.resolve("minidfs"))) {
        results.add(
            bench.compare(
                "hdfs-dfs",
                rounds,
                bench.plainHdfs(hdfs.fileSystem(), "/bench"),
                bench.sluiceHdfs(hdfs.uri() + "/bench", hdfs.configuration())));
      }
    }
    results.forEach(System.out::println);
  }

  private String compare(String sink, int rounds, Runner plain, Runner sluice) throws Exception {
    // Warm-up runs of each, not counted: JIT compilation (on 2 cores the compiler threads take CPU
    // from the first runs, the Sluice side's longer code paths longer), connections, servers.
    for (int w = 0; w < WARM_UP_RUNS; w++) {
      plain.run(sink + "_warm_plain_" + w);
      sluice.run(sink + "_warm_sluice_" + w);
    }
    double[] plainRates = new double[rounds];
    double[] sluiceRates = new double[rounds];
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      long[] cpu0 = cpu();
      plainRates[r] = rows / (plain.run(sink + "_plain_" + r) / 1e9);
      long[] cpu1 = cpu();
      sluiceRates[r] = rows / (sluice.run(sink + "_sluice_" + r) / 1e9);
      long[] cpu2 = cpu();
      ratios[r] = sluiceRates[r] / plainRates[r];
      System.out.printf(
          Locale.ROOT,
          "round %d sink=%s plain_rows_per_s=%.0f sluice_rows_per_s=%.0f ratio=%.2f"
              + "  CPU us/row plain %s, sluice %s%n",
          r + 1,
          sink,
          plainRates[r],
          sluiceRates[r],
          ratios[r],
          cpuPerRow(cpu0, cpu1),
          cpuPerRow(cpu1, cpu2));
    }
    return String.format(
        Locale.ROOT,
        "RESULT sink=%s plain_rows_per_s=%.0f sluice_rows_per_s=%.0f ratio=%.2f",
        sink,
        median(plainRates),
        median(sluiceRates),
        median(ratios));
  }

  /**
   * CPU used so far, in nanoseconds: this JVM (the client side, and the MiniDFSCluster when
   * benchmarked) and the servers this JVM started (ClickHouse, Redis).
   */
  private static long[] cpu() {
    long servers =
        ProcessHandle.current()
            .descendants()
            .mapToLong(p -> Math.max(0, BenchEnv.cpuNanosOf(p.pid())))
            .sum();
    return new long[] {BenchEnv.ownCpuNanos(), servers};
  }

  private String cpuPerRow(long[] before, long[] after) {
    return String.format(
        Locale.ROOT,
        "client %.2f server %.2f",
        (after[0] - before[0]) / 1e3 / rows,
        (after[1] - before[1]) / 1e3 / rows);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /**
   * Runs the sink as the runtime does: the writer's thread writes every row and, per checkpoint,
   * calls {@code prepareCommit} and goes on writing; a coordinator thread waits for each prepared
   * committable and commits it, in order. Timed from the first write to the last commit, like the
   * plain side from its first row to its last answer: creating the writer and committer (start-up:
   * reading the table, threads) and closing them are not timed, as in the throughput benchmark.
   */
  private <T> long drive(Sink<T> sink, List<T> values) throws Exception {
    // pending handles kept in memory (the runtime syncs them to RocksDB, a few microseconds per
    // batch); bad records fail
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0).withApp("bench");
    ExecutorService coordinator =
        Executors.newSingleThreadExecutor(r -> new Thread(r, "bench-coordinator"));
    long elapsed;
    try (SinkWriter<T> writer = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      long started = System.nanoTime();
      List<Future<?>> commits = new ArrayList<>();
      long checkpoint = 0;
      for (int i = 0; i < values.size(); i++) {
        writer.write(values.get(i));
        if ((i + 1) % checkpointRows == 0 || i == values.size() - 1) {
          CompletableFuture<Committable> prepared = writer.prepareCommit(++checkpoint);
          commits.add(
              coordinator.submit(
                  () -> {
                    Committable c = prepared.join();
                    if (c != null) {
                      committer.commit(c);
                    }
                  }));
        }
      }
      for (Future<?> f : commits) {
        f.get();
      }
      elapsed = System.nanoTime() - started;
    } finally {
      coordinator.shutdownNow();
    }
    return elapsed;
  }

  // ---- ClickHouse ----

  private static void createTable(ClickHouseServer ch, String table, boolean batchColumns) {
    ch.query(
        "CREATE TABLE "
            + table
            + " (id UInt64, k String"
            + (batchColumns ? ", _sluice_batch String" : "")
            + ") ENGINE = MergeTree ORDER BY id");
  }

  private Runner plainClickHouse(ClickHouseServer ch) {
    HttpClient http = HttpClient.newHttpClient();
    JsonFactory json = new ObjectMapper().getFactory();
    return table -> {
      createTable(ch, table, false);
      URI uri =
          URI.create(
              ch.httpUrl()
                  + "/?query="
                  + java.net.URLEncoder.encode(
                      "INSERT INTO " + table + " FORMAT JSONEachRow", StandardCharsets.UTF_8));
      long started = System.nanoTime();
      ByteArrayOutputStream body = new ByteArrayOutputStream(1 << 20);
      for (int i = 0; i < rows; i++) {
        Row r = data.get(i);
        Map<String, Object> row = Map.of("id", r.id(), "k", r.key());
        try (JsonGenerator g = json.createGenerator(body)) {
          g.writeStartObject();
          for (Map.Entry<String, Object> e : row.entrySet()) {
            g.writeObjectField(e.getKey(), e.getValue());
          }
          g.writeEndObject();
        }
        body.write('\n');
        if ((i + 1) % batch == 0 || i == rows - 1) {
          HttpResponse<String> answer =
              http.send(
                  HttpRequest.newBuilder(uri)
                      .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (answer.statusCode() != 200) {
            throw new IOException(
                "ClickHouse answered " + answer.statusCode() + ": " + answer.body());
          }
          body.reset();
        }
      }
      long elapsed = System.nanoTime() - started;
      check(ch.query("SELECT count() FROM " + table + " FORMAT TSV").trim(), table);
      return elapsed;
    };
  }

  private Runner sluiceClickHouse(ClickHouseServer ch) {
    return table -> {
      createTable(ch, table, true);
      Sink<Row> sink =
          ClickHouseSink.<Row>builder()
              .url(ch.httpUrl())
              .table(table)
              .batchRows(batch)
              .rows(r -> Map.of("id", r.id(), "k", r.key()))
              .build();
      long elapsed = drive(sink, data);
      check(ch.query("SELECT count() FROM " + table + " FORMAT TSV").trim(), table);
      return elapsed;
    };
  }

  private void check(String count, String where) {
    if (Long.parseLong(count) != rows) {
      throw new IllegalStateException(where + " holds " + count + " rows, not " + rows);
    }
  }

  // ---- Redis ----

  private Runner plainRedis(RedisClient client) {
    return prefix -> {
      long started = System.nanoTime();
      for (int from = 0; from < rows; from += batch) {
        try (AbstractPipeline p = client.pipelined()) {
          for (int i = from; i < Math.min(rows, from + batch); i++) {
            Row r = data.get(i);
            p.hincrBy(prefix + ":ids", Long.toString(r.id()), 1);
            p.hincrBy(prefix + ":sums", r.key(), r.id());
          }
          p.sync();
        }
      }
      long elapsed = System.nanoTime() - started;
      check(Long.toString(client.hlen(prefix + ":ids")), prefix);
      return elapsed;
    };
  }

  private Runner sluiceRedis(String url) {
    return prefix -> {
      Sink<Row> sink =
          RedisSink.<Row>builder()
              .uri(url)
              .commands(
                  r ->
                      List.of(
                          RedisCommand.hincrBy(prefix + ":ids", Long.toString(r.id()), 1),
                          RedisCommand.hincrBy(prefix + ":sums", r.key(), r.id())))
              .build();
      long elapsed = drive(sink, data);
      try (RedisClient client = RedisClient.create(URI.create(url))) {
        check(Long.toString(client.hlen(prefix + ":ids")), prefix);
      }
      return elapsed;
    };
  }

  // ---- HDFS (raw local file system) ----

  private static String line(Row r) {
    return "{\"id\":" + r.id() + ",\"k\":\"" + r.key() + "\"}";
  }

  private Runner plainHdfs(FileSystem fs, String dir) {
    return name -> {
      long started = System.nanoTime();
      int part = 0;
      OutputStream out = null;
      for (int i = 0; i < rows; i++) {
        if (out == null) {
          out =
              fs.create(
                  new org.apache.hadoop.fs.Path(dir + "/" + name + "/b/part-" + part++ + ".jsonl"),
                  true);
        }
        out.write(line(data.get(i)).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
        if ((i + 1) % batch == 0 || i == rows - 1) {
          ((FSDataOutputStream) out).hsync();
          out.close();
          out = null;
        }
      }
      return System.nanoTime() - started;
    };
  }

  private Runner sluiceHdfs(String dir, Configuration conf) {
    return name -> {
      Sink<Row> sink =
          HdfsSink.<Row>builder()
              .basePath(dir + "/" + name)
              .configuration(conf)
              .lines(SinkBench::line)
              .bucket(r -> "b")
              .build();
      return drive(sink, data);
    };
  }
}
