/**
 * Sluice's implementation; nothing here is API. Sub-packages by role, each depending only on the
 * ones below it:
 *
 * <pre>
 *  runtime     lifecycle (AppRuntime, ShardedRuntime), broker-free DriverRuntime, regrouping
 *    │
 *  source      partitions: listing, discovery, readers and entry splitting, fetch → decode → publish
 *    │
 *  checkpoint  coordinator, recovery, start planning, durable cursors, sink recovery
 *    │
 *  group       slot groups: rings, processing threads, operator chains, keyed state, positions
 *    │
 *  graph       the job graph and its compiled operators (windows, keyed functions, timers)
 * </pre>
 *
 * This package itself holds what they all share: settings, thread naming, failure latch, retry
 * backoff, message-id and partition-name conversions.
 *
 * <p>One record's walk: {@code Fetchers} takes it from the partition's {@code EntryReader} (or
 * Reader), {@code EntrySplitter} cuts it out of its entry, {@code PartitionDecoder} decodes it into
 * a {@code RecordBatch}, {@code ProcessingGroup.publish} puts the batch in the ring, and the
 * group's processing thread runs {@code GroupCore.onRecord}: the compiled operators of {@code
 * graph}, keyed state, the sink writer; {@code InputPartition} then holds it as the last processed
 * position. At the next barrier {@code GroupCore.onBarrier} hands that position to {@code
 * CheckpointCoordinator}, which writes it with the state and the prepared output in one RocksDB
 * batch, commits the sinks, and has {@code DurableCursors} acknowledge it on the subscription.
 */
package io.sluice.internal;
