/**
 * The app's lifecycle: {@code AppRuntime} connects, runs {@code Recovery}, starts the slot groups,
 * readers and the checkpoint, commit, ticker and discovery threads, and stops them in order
 * (readers first, a final checkpoint, commits, groups, aborts of unrecorded output, clients,
 * store); a replicated app first waits for its {@code Lease}. A sharded app runs as a {@code
 * ShardedRuntime}: it stands by on every shard's lease, runs an {@code AppRuntime} for each shard
 * it holds and hands shards back above its share. {@code Regrouper} re-plans automatic slot groups
 * at a checkpoint boundary. {@code DriverRuntime} runs the same groups, coordinator and recovery on
 * the caller's thread without a broker, for {@code TestDriver}.
 */
package io.sluice.internal.runtime;
