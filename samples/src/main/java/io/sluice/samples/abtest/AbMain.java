package io.sluice.samples.abtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.lookup.LookupTable;
import io.sluice.lookup.hdfs.HdfsLookup;
import io.sluice.samples.common.ClickHouseEndpoint;
import io.sluice.samples.common.PulsarEndpoint;
import io.sluice.samples.common.SampleOptions;
import io.sluice.sink.clickhouse.ClickHouseSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.state.Serde;
import io.sluice.stream.DataStream;
import io.sluice.window.WindowAssigner;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.common.policies.data.PartitionedTopicStats;
import org.apache.pulsar.common.policies.data.SubscriptionStats;

/**
 * The abtest sample: exposure, click and order topics unioned, keyed by (experiment, variant),
 * counted in hourly event-time windows with allowed lateness into one wide row per experiment,
 * variant and hour (exposures, clicks, orders, revenue, distinct users), enriched from an offline
 * experiment table (CSV or Parquet on the local file system or HDFS, refreshed while running) and
 * written to ClickHouse exactly once. At the end it reads the table back, checks every row against
 * the generated input ({@link AbCheck}) and prints the hourly table and the variants side by side.
 *
 * <pre>
 * options (defaults):  --exposures 60000  --users 5000  --hours 4  --rate 5000
 *   --start 2026-12-06T00:00:00Z  --lateness 30m  --checkpoint 2s  --timeout 600s
 *   --work work-data/abtest  --run &lt;id&gt;  --clickhouse http://host:8123
 *   --hdfs file://&lt;work&gt;/hdfs (or hdfs://namenode:8020/dir: where the experiment table lives)
 *   --table-format csv|parquet (the experiment table's format)
 *   --pulsar pulsar://… --pulsar-admin http://…
 * </pre>
 */
public final class AbMain {
  private static final int PARTITIONS = 2;
  private static final Duration OUT_OF_ORDER = Duration.ofMinutes(2);

  private AbMain() {}

  public static int run(SampleOptions options) throws Exception {
    String run = options.string("run", Long.toString(System.currentTimeMillis() % 10_000_000));
    AbLayout layout =
        new AbLayout(
            options.longValue("exposures", 60_000),
            options.integer("users", 5_000),
            Instant.parse(options.string("start", "2026-12-06T00:00:00Z")),
            options.integer("hours", 4));
    int rate = options.integer("rate", 5_000);
    Duration lateness = options.duration("lateness", Duration.ofMinutes(30));
    Duration checkpoint = options.duration("checkpoint", Duration.ofSeconds(2));
    Duration timeout = options.duration("timeout", Duration.ofSeconds(600));
    Path work = Path.of(options.string("work", "work-data/abtest")).toAbsolutePath();
    String hdfs = options.string("hdfs", work.resolve("hdfs").toUri().toString());
    String format = options.string("table-format", "csv");
    if (!format.equals("csv") && !format.equals("parquet")) {
      throw new IllegalArgumentException(
          "Invalid value '" + format + "' for --table-format: use csv or parquet");
    }
    ExperimentTable experiments =
        new ExperimentTable(
            URI.create(hdfs.replaceAll("/+$", "") + "/dim/experiments-" + run),
            format.equals("parquet"));
    try (PulsarEndpoint pulsar = PulsarEndpoint.open(options, work, "abtest");
        ClickHouseEndpoint clickhouse = ClickHouseEndpoint.open(options, work, "abtest")) {
      options.checkUsed();
      String table = "ab_wide_" + run;
      createTable(clickhouse, table);
      experiments.publish(1);
      return new Job(
              layout, run, pulsar, clickhouse, table, experiments, work, rate, lateness, checkpoint)
          .run(timeout);
    }
  }

  /** The wide table; {@code _sluice_batch} is the column the exactly-once sink fills. */
  static void createTable(ClickHouseEndpoint clickhouse, String table) throws Exception {
    clickhouse.query(
        "CREATE TABLE IF NOT EXISTS "
            + table
            + " (hour DateTime, experiment String, variant String, experiment_name String,"
            + " owner String, table_version UInt32, exposures UInt64, clicks UInt64, orders"
            + " UInt64, revenue Float64, users UInt64, _sluice_batch String) ENGINE ="
            + " MergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (experiment, variant, hour)");
  }

  private record Job(
      AbLayout layout,
      String run,
      PulsarEndpoint pulsar,
      ClickHouseEndpoint clickhouse,
      String table,
      ExperimentTable experiments,
      Path work,
      int rate,
      Duration lateness,
      Duration checkpoint) {

    int run(Duration timeout) throws Exception {
      Map<String, String> topics = new LinkedHashMap<>();
      for (String kind : new String[] {"exposures", "clicks", "orders"}) {
        topics.put(kind, "persistent://public/default/ab-" + run + "-" + kind);
      }
      try (PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl(pulsar.adminUrl()).build();
          PulsarClient client = PulsarClient.builder().serviceUrl(pulsar.serviceUrl()).build();
          LookupTable<String, JsonNode> table =
              (experiments.parquet()
                      ? HdfsLookup.parquet(experiments.dir().toString(), "experiment")
                      : HdfsLookup.csv(experiments.dir().toString(), "experiment"))
                  .refresh(Duration.ofSeconds(1))
                  .build()) {
        for (String topic : topics.values()) {
          admin.topics().createPartitionedTopic(topic, PARTITIONS);
        }
        LongAdder events = new LongAdder();
        LongAdder rows = new LongAdder();
        Sluice app = buildApp(topics, table, events, rows);
        AtomicBoolean stop = new AtomicBoolean();
        app.start();
        AbGenerator generator = new AbGenerator(layout, client, topics, PARTITIONS, rate, stop);
        Thread producing = new Thread(generator, "abtest-generator");
        producing.start();
        boolean drained = false;
        long started = System.nanoTime();
        try {
          boolean refreshed = false;
          long last = 0;
          for (long tick = 1; app.state() == Sluice.State.RUNNING; tick++) {
            tick = Math.max(tick, (System.nanoTime() - started) / 1_000_000_000L + 1);
            TimeUnit.NANOSECONDS.sleep(
                started + TimeUnit.SECONDS.toNanos(tick) - System.nanoTime());
            if (!refreshed) {
              experiments.publish(2); // the batch job publishes new owners while the app runs
              refreshed = true;
            }
            long now = events.sum();
            System.out.printf(
                "abtest: %4d s  sent %,8d  processed %,8d  %,6d ev/s  wide rows %,4d  table loads"
                    + " %d  checkpoint #%d%n",
                tick,
                generator.sent(),
                now,
                now - last,
                rows.sum(),
                table.loads(),
                app.lastCompletedCheckpoint());
            last = now;
            if (generator.failure() != null) {
              break;
            }
            if (generator.done() && backlog(admin, topics) == 0) {
              drained = true;
              break;
            }
            if (System.nanoTime() - started > timeout.toNanos()) {
              System.out.println("abtest: not done within " + timeout);
              break;
            }
          }
          stop.set(true);
          producing.join();
          if (drained) {
            awaitCheckpoints(app, 2); // the last windows fire after the end marks' checkpoint
          }
        } finally {
          app.close();
        }
        AbCheck.Result result =
            new AbCheck(clickhouse, table(), ExperimentTable.versions()).run(layout);
        boolean ok =
            result.ok() && drained && generator.failure() == null && app.failure().isEmpty();
        if (generator.failure() != null) {
          System.out.println("abtest: the generator failed: " + generator.failure());
        }
        app.failure().ifPresent(f -> System.out.println("abtest: the app failed: " + f));
        System.out.printf(
            "SUMMARY abtest %s checkpoints=%d -> %s%n",
            result.line(), app.lastCompletedCheckpoint(), ok ? "OK" : "MISMATCH");
        return ok ? 0 : 1;
      }
    }

    private Sluice buildApp(
        Map<String, String> topics,
        LookupTable<String, JsonNode> table,
        LongAdder events,
        LongAdder rows) {
      Sluice app =
          Sluice.builder()
              .name("abtest-" + run)
              .pulsar(pulsar.serviceUrl(), pulsar.adminUrl())
              .stateDir(work.resolve("state-" + run))
              .checkpointInterval(checkpoint)
              .meterRegistry(new SimpleMeterRegistry())
              .build();
      DataStream<AbEvent> all = null;
      for (String topic : topics.values()) {
        DataStream<AbEvent> in =
            app.stream(
                PulsarSource.topics(topic)
                    .subscription("abtest-" + run)
                    .watermarks(OUT_OF_ORDER, Duration.ofSeconds(10)),
                RecordDecoder.json(AbEvent.class));
        all = all == null ? in : all.union(in);
      }
      all.filter(e -> !e.kind.equals("end"))
          .map(
              e -> {
                events.increment();
                return e;
              })
          .keyBy(e -> e.experiment + "|" + e.variant, Serde.strings())
          .window(WindowAssigner.tumbling(Duration.ofHours(1)))
          .allowedLateness(lateness)
          .aggregate(new WideAggregate(), Serde.json(WideCounts.class))
          .lookupJoin(
              table,
              w -> w.key().split("\\|", 2)[0],
              (w, experiment) -> {
                rows.increment();
                return WideRow.of(w, experiment);
              })
          .sinkTo(
              ClickHouseSink.<WideRow>builder()
                  .url(clickhouse.url())
                  .table(table())
                  .rows(WideRow::toColumns)
                  .build());
      return app;
    }

    private static long backlog(PulsarAdmin admin, Map<String, String> topics) throws Exception {
      long sum = 0;
      for (String topic : topics.values()) {
        PartitionedTopicStats stats = admin.topics().getPartitionedStats(topic, false);
        SubscriptionStats sub = stats.getSubscriptions().get("abtest-" + topicRun(topic));
        sum += sub == null ? 1 : sub.getMsgBacklog();
      }
      return sum;
    }

    private static String topicRun(String topic) {
      String local = topic.substring(topic.lastIndexOf('/') + 1);
      return local.substring("ab-".length(), local.lastIndexOf('-'));
    }

    private static void awaitCheckpoints(Sluice app, int n) throws InterruptedException {
      long target = app.lastCompletedCheckpoint() + n;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (app.lastCompletedCheckpoint() < target && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    }
  }
}
