package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Every meter Sluice registers, with its type, tags and meaning: the one catalogue the code
 * registers from and the README's metrics table is generated from. Each is tagged {@code app} (the
 * app's name) plus the tags listed.
 *
 * <pre>{@code
 * double lag = registry.get(Metric.CURSOR_COMMIT_LAG.key()).tag("app", "orders").gauge().value();
 * }</pre>
 */
public enum Metric {
  SOURCE_PARTITIONS("sluice.source.partitions", Type.GAUGE, "", "partitions this instance reads"),
  SOURCE_PARTITIONS_DISCOVERED(
      "sluice.source.partitions.discovered",
      Type.COUNTER,
      "",
      "partitions picked up by discovery while running"),
  SOURCE_RECORDS("sluice.source.records", Type.COUNTER, "topic", "records processed per topic"),
  SOURCE_LAG(
      "sluice.source.lag.ms",
      Type.GAUGE,
      "partition",
      "age of the last processed message of a partition"),
  SOURCE_POSITIONS_LOST(
      "sluice.source.positions.lost",
      Type.COUNTER,
      "",
      "checkpointed positions whose ledger was deleted by retention"),
  SOURCE_READER_SWITCHES(
      "sluice.source.reader.switches",
      Type.COUNTER,
      "",
      "partitions whose entry reader met a chunked message and handed over to a Pulsar Reader"),
  SOURCE_REDELIVERED_SKIPPED(
      "sluice.source.redelivered.skipped",
      Type.COUNTER,
      "group",
      "messages at or before a partition's last processed position, dropped"),
  SOURCE_BAD_RECORDS(
      "sluice.source.bad.records",
      Type.COUNTER,
      "group",
      "records a decoder could not read, skipped or dead-lettered by policy"),
  PIPELINE_RING_OCCUPANCY(
      "sluice.pipeline.ring.occupancy",
      Type.GAUGE,
      "group",
      "records waiting in the slot group's ring"),
  PIPELINE_RING_BYTES(
      "sluice.pipeline.ring.bytes",
      Type.GAUGE,
      "group",
      "payload bytes waiting in the slot group's ring (bounded by sluice.pipeline.ringBytes)"),
  WATERMARK(
      "sluice.watermark", Type.GAUGE, "group", "the slot group's event-time watermark (epoch ms)"),
  SLOTGROUP_LOAD(
      "sluice.slotgroup.load.bytes.per.s",
      Type.GAUGE,
      "group",
      "byte rate of an automatic slot group's topics at the last measurement"),
  SLOTGROUP_TOPICS(
      "sluice.slotgroup.topics",
      Type.GAUGE,
      "group",
      "topics the automatic plan assigns to the group now"),
  SLOTGROUP_REGROUPS(
      "sluice.slotgroup.regroups",
      Type.COUNTER,
      "",
      "times the automatic slot groups were re-planned while running"),
  CHECKPOINT_DURATION(
      "sluice.checkpoint.duration", Type.TIMER, "", "barrier to durable checkpoint record"),
  CHECKPOINT_STALL(
      "sluice.checkpoint.stall",
      Type.TIMER,
      "group",
      "time the processing thread spent on a checkpoint barrier"),
  CHECKPOINT_COMPLETED("sluice.checkpoint.completed", Type.COUNTER, "", "checkpoints completed"),
  CHECKPOINT_FAILURES(
      "sluice.checkpoint.failures",
      Type.COUNTER,
      "",
      "checkpoints that failed (the app fails after the configured number in a row)"),
  CHECKPOINT_LAST_ID(
      "sluice.checkpoint.last.id", Type.GAUGE, "", "id of the newest completed checkpoint"),
  CHECKPOINT_SIZE(
      "sluice.checkpoint.size.bytes", Type.GAUGE, "", "approximate size of the local state store"),
  SINK_COMMIT_RETRIES(
      "sluice.sink.commit.retries",
      Type.COUNTER,
      "",
      "sink commits of completed checkpoints that failed and were retried"),
  CURSOR_COMMIT_LAG(
      "sluice.cursor.commit.lag.ms",
      Type.GAUGE,
      "",
      "time since the durable cursors were last advanced"),
  CURSOR_COMMIT_FAILURES(
      "sluice.cursor.commit.failures",
      Type.COUNTER,
      "",
      "durable cursor acknowledgements that failed (superseded by the next)"),
  CURSOR_RENEWALS(
      "sluice.cursor.renewals",
      Type.COUNTER,
      "",
      "durable-cursor consumers renewed to acknowledge an unchanged position again after their"
          + " connection closed"),
  SINK_RECORDS(
      "sluice.sink.records", Type.COUNTER, "sink", "records written by the sink's writers"),
  SINK_BYTES("sluice.sink.bytes", Type.COUNTER, "sink", "bytes sent to the destination"),
  SINK_COMMIT_LATENCY(
      "sluice.sink.commit.latency", Type.TIMER, "sink", "time to commit one committable"),
  SINK_RETRIES(
      "sluice.sink.retries",
      Type.COUNTER,
      "sink",
      "calls to the destination that failed and were retried"),
  SINK_ERRORS(
      "sluice.sink.errors",
      Type.COUNTER,
      "sink",
      "calls to the destination that failed for good (after their retries)"),
  SINK_BAD_RECORDS(
      "sluice.sink.bad.records",
      Type.COUNTER,
      "sink",
      "records a sink refused, skipped or dead-lettered by policy"),
  SINK_REDIS_REJECTED(
      "sluice.sink.redis.rejected",
      Type.COUNTER,
      "sink",
      "commands Redis refused when a batch was applied"),
  RECOVERY_LAYER(
      "sluice.recovery.layer",
      Type.GAUGE,
      "",
      "where the last start resumed: 0 = checkpoint, 1 = durable cursor, 2 = start position,"
          + " 3 = changelog"),
  RECOVERY_PARTITIONS(
      "sluice.recovery.partitions",
      Type.GAUGE,
      "layer",
      "partitions the last start resumed from each recovery layer"),
  RECOVERY_FALLBACKS(
      "sluice.recovery.fallbacks",
      Type.COUNTER,
      "reason",
      "start-ups without a usable local checkpoint (reason: damaged or no-checkpoint)"),
  REPLICAS_SHARDS_UNREAD(
      "sluice.replicas.shards.unread",
      Type.GAUGE,
      "",
      "shards of a sharded app that no replica holds or stands by for (their partitions are not"
          + " read), as the running replicas see it; each replica reads every shard no other one"
          + " holds, so this is 0 while one runs and reaches the broker");

  /** What kind of meter it is. */
  public enum Type {
    COUNTER,
    GAUGE,
    TIMER
  }

  private final String key;
  private final Type type;
  private final String tags;
  private final String description;

  Metric(String key, Type type, String tags, String description) {
    this.key = key;
    this.type = type;
    this.tags = tags;
    this.description = description;
  }

  /** The meter's name, e.g. {@code sluice.checkpoint.duration}. */
  public String key() {
    return key;
  }

  public Type type() {
    return type;
  }

  /** Tags besides {@code app}, comma-separated (empty if none). */
  public String tags() {
    return tags;
  }

  public String description() {
    return description;
  }

  /** The metrics table of the README: name, type, tags, meaning. */
  public static String markdownTable() {
    StringBuilder out =
        new StringBuilder("| metric | type | tags | meaning |\n|---|---|---|---|\n");
    for (Metric m : values()) {
      out.append("| `")
          .append(m.key)
          .append("` | ")
          .append(m.type.name().toLowerCase(Locale.ROOT))
          .append(" | ")
          .append(m.tags.isEmpty() ? "app" : "app, " + m.tags)
          .append(" | ")
          .append(m.description)
          .append(" |\n");
    }
    return out.toString();
  }

  /** Registers (or finds) this counter for {@code app}, with further tag name/value pairs. */
  public Counter counter(MeterRegistry meters, String app, String... tagPairs) {
    return Counter.builder(key)
        .description(description)
        .tag("app", app)
        .tags(tagPairs)
        .register(meters);
  }

  /** A gauge builder for this meter, described; the caller adds tags and registers it. */
  public <T> Gauge.Builder<T> gauge(T obj, ToDoubleFunction<T> value) {
    return Gauge.builder(key, obj, value).description(description);
  }

  /** A timer builder for this meter, described; the caller adds tags and registers it. */
  public Timer.Builder timer() {
    return Timer.builder(key).description(description);
  }
}
