package io.sluice.it;

import io.sluice.Sluice;
import io.sluice.sink.clickhouse.ClickHouseSink;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.sink.redis.RedisCommand;
import io.sluice.sink.redis.RedisSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.stream.DataStream;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The job the replica tests run, one child JVM per replica of a replicated app ({@link Replicas}).
 * Its output goes either to Pulsar or to Redis and ClickHouse:
 *
 * <ul>
 *   <li>{@code pulsar <topic>}: every record with its key's running count ({@link
 *       CrashJob#countPerKey}) through the transactional Pulsar sink, checked by {@link
 *       CountedOutput};
 *   <li>{@code pulsar-by-group <topic>}: the same, counted by a group of the value ({@link
 *       #groupOf}) that is spread over every partition: a sharded app repartitions by it;
 *   <li>{@code stores <redisUri> <clickHouseUrl> <table>}: {@code INCRBY count:<key> 1} per record
 *       into Redis, and a count per key in {@value #WINDOW_SECONDS}-second tumbling event-time
 *       windows into the ClickHouse table (columns {@code key, window_start, cnt}). Records keyed
 *       {@value #END} only move the watermark (an end marker that closes every window).
 * </ul>
 *
 * <p>Args: app instance shards serviceUrl adminUrl inputTopics (comma-separated) stateDir
 * checkpointMillis, then the output as above. Prints {@code RUNNING layer=<layer>} once it is the
 * active replica of a shard, {@code CHECKPOINT <id>} every 200 ms while running, {@code STOPPED
 * <state> <failure>} when the app stopped. SIGTERM is a graceful leave: the app is closed (a final
 * checkpoint, the lease released for a standby) and {@code CLOSED} is printed.
 */
public final class ReplicaJob {
  /** Key of the records that end the input: they move the watermark and nothing else. */
  static final String END = "end";

  static final int WINDOW_SECONDS = 10;

  /** How many groups {@code pulsar-by-group} counts by. */
  static final int GROUPS = 30;

  private ReplicaJob() {}

  public static void main(String[] args) throws Exception {
    String name = args[0];
    Sluice.Builder builder = Sluice.builder().name(name).replicated(true).instanceName(args[1]);
    if (Integer.parseInt(args[2]) > 1) {
      builder.shards(Integer.parseInt(args[2]));
    }
    Sluice app =
        builder
            .pulsar(args[3], args[4])
            .stateDir(Path.of(args[6]))
            .checkpointInterval(Duration.ofMillis(Long.parseLong(args[7])))
            .discoveryInterval(Duration.ZERO)
            .entryReads(true)
            .build();
    DataStream<SourceRecord> input =
        app.stream(
            PulsarSource.topics(args[5].split(","))
                .subscription(name)
                .watermarks(Duration.ZERO, Duration.ofSeconds(30)));
    List<String> output = Arrays.asList(args).subList(8, args.length);
    switch (output.get(0)) {
      case "pulsar" -> toPulsar(input, output.get(1));
      case "pulsar-by-group" -> toPulsarByGroup(input, output.get(1));
      case "stores" -> toStores(input, output.get(1), output.get(2), output.get(3));
      default -> throw new IllegalArgumentException("unknown output " + output);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    app.close();
                    System.out.println("CLOSED");
                  } catch (RuntimeException e) {
                    System.out.println("CLOSED " + e);
                  }
                },
                "replica-job-leave"));
    JobOutput.runAndReport(app);
  }

  private static void toPulsar(DataStream<SourceRecord> input, String topic) {
    input
        .keyBy(SourceRecord::key, Serde.strings())
        .inputPartitionedByKey() // the message key routes the partition on every topic
        .process(CrashJob.countPerKey())
        .sinkTo(pulsarSink(topic));
  }

  /**
   * Counts by a group of the value that is not how the input is partitioned ({@link #groupOf}), so
   * a sharded app repartitions by it.
   */
  private static void toPulsarByGroup(DataStream<SourceRecord> input, String topic) {
    input
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .keyBy(ReplicaJob::groupOf, Serde.strings(), Serde.strings())
        .<String>process(
            (value, ctx, out) -> {
              ValueState<Long> count = ctx.valueState("count", Serde.longs());
              long n = count.value() == null ? 1 : count.value() + 1;
              count.update(n);
              out.collect(value + "," + groupOf(value) + "," + n);
            })
        .sinkTo(pulsarSink(topic));
  }

  /** The group of value {@code <prefix>-<i>}: one of {@link #GROUPS}, whatever its partition. */
  static String groupOf(String value) {
    return "g" + Integer.parseInt(value.substring(value.lastIndexOf('-') + 1)) % GROUPS;
  }

  private static PulsarSink<String> pulsarSink(String topic) {
    return PulsarSink.<String>builder()
        .topic(topic)
        .serializer(s -> s.getBytes(StandardCharsets.UTF_8))
        .build();
  }

  private static void toStores(
      DataStream<SourceRecord> input, String redisUri, String clickHouseUrl, String table) {
    input
        .filter(r -> !END.equals(r.key()))
        .sinkTo(
            RedisSink.<SourceRecord>builder()
                .uri(redisUri)
                .command(r -> RedisCommand.incrBy("count:" + r.key(), 1))
                .build());
    input
        .keyBy(SourceRecord::key, Serde.strings())
        .inputPartitionedByKey()
        .window(WindowAssigner.tumbling(Duration.ofSeconds(WINDOW_SECONDS)))
        .aggregate(new WindowCrashJob.Count(), Serde.longs())
        .sinkTo(
            ClickHouseSink.<WindowResult<String, Long>>builder()
                .url(clickHouseUrl)
                .table(table)
                .rows(
                    w ->
                        Map.<String, Object>of(
                            "key", w.key(), "window_start", w.windowStart(), "cnt", w.value()))
                .build());
  }
}
