package io.sluice.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every Sluice setting, with its key, default, rule and doc. The builders validate through these,
 * and {@link #markdownTable()} generates the configuration table of the docs.
 */
public final class Options {
  private Options() {}

  private static String ms(Duration d) {
    return d.toMillis() + " ms";
  }

  public static final Option<String> NAME =
      Option.of(
          "sluice.name",
          "(required)",
          "must be 1-64 characters of [A-Za-z0-9._-]",
          "Application name: used in thread names, metric tags and the default subscription.",
          s -> s.matches("[A-Za-z0-9._-]{1,64}"));

  public static final Option<String> SERVICE_URL =
      Option.of(
          "sluice.pulsar.serviceUrl",
          "(required)",
          "must start with pulsar:// or pulsar+ssl://",
          "Pulsar binary protocol URL.",
          s -> s.startsWith("pulsar://") || s.startsWith("pulsar+ssl://"));

  public static final Option<String> ADMIN_URL =
      Option.of(
          "sluice.pulsar.adminUrl",
          "(required)",
          "must start with http:// or https://",
          "Pulsar admin (HTTP) URL: used at start-up and for discovery, never per checkpoint.",
          s -> s.startsWith("http://") || s.startsWith("https://"));

  public static final Option<Path> STATE_DIR =
      Option.of(
          "sluice.state.dir",
          "(required)",
          "must be a writable directory",
          "Local RocksDB directory for checkpoints and keyed state.",
          p -> true);

  public static final Option<Duration> CHECKPOINT_INTERVAL =
      Option.of(
          "sluice.checkpoint.interval",
          "5000 ms",
          "must be at least 100 ms",
          "Time between the end of one checkpoint and the start of the next.",
          d -> d.toMillis() >= 100,
          Options::ms);

  public static final Option<Duration> CHECKPOINT_TIMEOUT =
      Option.of(
          "sluice.checkpoint.timeout",
          "60000 ms",
          "must be at least 1000 ms",
          "A checkpoint not complete by then fails (and is superseded by the next); while a"
              + " processing thread has not reached a barrier, each timeout counts as one more"
              + " failed checkpoint, and so does a barrier that finds its ring full for that long.",
          d -> d.toMillis() >= 1000,
          Options::ms);

  public static final Option<Integer> CHECKPOINTS_RETAINED =
      Option.of(
          "sluice.checkpoint.retained",
          "3",
          "must be between 1 and 100",
          "Checkpoint records kept in the state store.",
          n -> n >= 1 && n <= 100);

  public static final Option<Integer> MAX_CONSECUTIVE_CHECKPOINT_FAILURES =
      Option.of(
          "sluice.checkpoint.maxConsecutiveFailures",
          "10",
          "must be at least 1",
          "The app fails after this many checkpoints in a row fail.",
          n -> n >= 1);

  public static final Option<Integer> RING_SIZE =
      Option.of(
          "sluice.pipeline.ringSize",
          "16384",
          "must be a power of 2 between 64 and 1048576",
          "Records a slot group's ring holds (in at least 16 slots of up to 64 records of one"
              + " partition); a full ring blocks the readers (bounded memory).",
          n -> n >= 64 && n <= (1 << 20) && Integer.bitCount(n) == 1);

  public static final Option<Long> RING_BYTES =
      Option.of(
          "sluice.pipeline.ringBytes",
          "67108864",
          "must be at least 1048576 (1 MiB)",
          "Payload bytes a slot group's ring holds, besides ringSize records: a reader whose records"
              + " would go beyond it waits (bounded memory with large records; a ring slot then"
              + " takes fewer records). A record larger than this still goes in alone.",
          n -> n >= (1 << 20));

  public static final Option<String> WAIT_STRATEGY =
      Option.of(
          "sluice.pipeline.waitStrategy",
          "blocking",
          "must be one of blocking, lite-blocking, sleeping",
          "How a processing thread waits for its ring: blocking (lock + condition, no CPU when"
              + " idle), lite-blocking (signals only when the thread sleeps), sleeping (polls with"
              + " back-off: no signalling cost for readers, some CPU when idle).",
          s -> s.equals("blocking") || s.equals("lite-blocking") || s.equals("sleeping"));

  public static final Option<Integer> RECEIVER_QUEUE_SIZE =
      Option.of(
          "sluice.source.receiverQueueSize",
          "1000",
          "must be between 1 and 100000",
          "Messages each partition reader prefetches.",
          n -> n >= 1 && n <= 100_000);

  public static final Option<Integer> FETCH_THREADS =
      Option.of(
          "sluice.source.fetchThreads",
          "0",
          "must be between 0 and 1024",
          "Threads that take records from the partition readers, decode them and hand them to the"
              + " processing threads, however many partitions are read; 0: one per core, at least"
              + " 2.",
          n -> n >= 0 && n <= 1024);

  public static final Option<Boolean> ENTRY_READS =
      Option.of(
          "sluice.source.entryReads",
          "true",
          "true or false",
          "Read each partition a stored entry (a producer's batch) at a time and split it in"
              + " Sluice, sparing the client its per-message work; false reads with Pulsar Readers,"
              + " one message at a time. Records, ids and checkpoints are the same either way. A"
              + " partition where a chunked message turns up is handed to a Reader (only Readers"
              + " join chunks); non-persistent topics are always read with Readers.",
          b -> true);

  public static final Option<Duration> DISCOVERY_INTERVAL =
      Option.of(
          "sluice.source.discoveryInterval",
          "10000 ms",
          "must be 0 (off) or at least 100 ms",
          "How often new partitions and topics matching a pattern are looked for.",
          d -> d.isZero() || d.toMillis() >= 100,
          Options::ms);

  public static final Option<Duration> REGROUP_INTERVAL =
      Option.of(
          "sluice.slotgroups.regroupInterval",
          "60000 ms",
          "must be 0 (off) or at least 1000 ms",
          "With automatic slot groups: how often topic byte rates are measured again; when the set"
              + " of hot topics changed, the groups are re-planned at a checkpoint boundary (keyed"
              + " state moves with its topic; see Sluice.Builder.autoSlotGroups).",
          d -> d.isZero() || d.toMillis() >= 1000,
          Options::ms);

  public static final Option<String> SUBSCRIPTION =
      Option.of(
          "sluice.source.subscription",
          "the app name",
          "must be 1-128 characters without '/'",
          "Durable subscription whose cursor is advanced after each completed checkpoint.",
          s -> !s.isEmpty() && s.length() <= 128 && !s.contains("/"));

  public static final Option<Boolean> STATE_CHANGELOG =
      Option.of(
          "sluice.state.changelog",
          "false",
          "true or false",
          "Also write each checkpoint (its keyed-state changes, positions and sink committables)"
              + " to a compacted changelog topic in Pulsar, __sluice-changelog-<app>, in one"
              + " transaction committed before the checkpoint's sinks commit; a start whose state"
              + " directory is missing or damaged restores the newest checkpoint from it instead of"
              + " falling back to the durable cursors. Needs transactions on the broker.",
          b -> true);

  public static final Option<Boolean> REPLICATED =
      Option.of(
          "sluice.replicated",
          "false",
          "true or false",
          "Several instances of the app may run at once (replicas, a rolling update): one is"
              + " active and reads every partition, the others stand by and take over when it"
              + " stops or dies, restoring state and positions from the changelog (turned on with"
              + " this). An instance that lost the app to another can no longer commit anything."
              + " Needs transactions on the broker.",
          b -> true);

  public static final Option<Integer> SHARDS =
      Option.of(
          "sluice.replicated.shards",
          "1",
          "must be between 1 and 1024",
          "A replicated app's partitions are split into this many shards (partition i goes to shard"
              + " i mod shards; a non-partitioned topic by its name's hash), each with its own"
              + " changelog and state and read by one replica at a time: the running replicas,"
              + " fewer or more than the shards, share them evenly; a replica beyond the shards"
              + " stands by.",
          n -> n >= 1 && n <= 1024);

  public static final Option<String> INSTANCE_NAME =
      Option.of(
          "sluice.instance.name",
          "<host name>-<process id>",
          "must be 1-64 characters of [A-Za-z0-9._-]",
          "Name of this instance among the app's replicas (in logs and in the broker's consumer"
              + " lists). Give each replica its own, stable name (e.g. a StatefulSet pod name).",
          s -> s.matches("[A-Za-z0-9._-]{1,64}"));

  public static final Option<Boolean> PARTITION_METERS =
      Option.of(
          "sluice.metrics.partitionMeters",
          "true",
          "true or false",
          "Register the meters tagged with a partition (sluice.source.lag.ms): one per partition"
              + " read. Turn off for apps reading thousands of partitions; the per-topic and"
              + " per-app meters stay.",
          b -> true);

  public static final List<Option<?>> ALL =
      List.of(
          NAME,
          SERVICE_URL,
          ADMIN_URL,
          STATE_DIR,
          CHECKPOINT_INTERVAL,
          CHECKPOINT_TIMEOUT,
          CHECKPOINTS_RETAINED,
          MAX_CONSECUTIVE_CHECKPOINT_FAILURES,
          RING_SIZE,
          RING_BYTES,
          WAIT_STRATEGY,
          RECEIVER_QUEUE_SIZE,
          FETCH_THREADS,
          ENTRY_READS,
          STATE_CHANGELOG,
          REPLICATED,
          SHARDS,
          INSTANCE_NAME,
          DISCOVERY_INTERVAL,
          REGROUP_INTERVAL,
          SUBSCRIPTION,
          PARTITION_METERS);

  /** The configuration reference, generated from the definitions above. */
  public static String markdownTable() {
    StringBuilder out =
        new StringBuilder("| key | default | rule | meaning |\n|---|---|---|---|\n");
    for (Option<?> o : ALL) {
      out.append("| `")
          .append(o.key())
          .append("` | ")
          .append(o.defaultText())
          .append(" | ")
          .append(o.rule())
          .append(" | ")
          .append(o.doc())
          .append(" |\n");
    }
    return out.toString();
  }
}
