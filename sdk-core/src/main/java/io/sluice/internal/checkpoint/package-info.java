/**
 * Checkpoints and recovery.
 *
 * <p>Checkpoint ({@code CheckpointCoordinator}, one at a time on the checkpoint thread):
 *
 * <pre>
 *  1 barrier(cid) into every slot group's ring ──▶ GroupSnapshot per group
 *  2 wait for the writers' prepared committables (flushes)
 *  3 ONE atomic, synced RocksDB batch: state deltas + positions + committables + cid
 *       └─ this write is the moment checkpoint cid is complete
 *  on the commit thread, while the next checkpoint runs:
 *  3b with a changelog: the state changes and the record in one Pulsar transaction ({@code
 *     Changelog}), so the changelog is never behind committed output
 *  4 commit the committables (idempotent; retried; a commit behind holds the fetchers)
 *  5 forget the sinks' pending handles that were committed
 *  6 advance the durable cursors to the checkpointed positions ({@code DurableCursors})
 * </pre>
 *
 * Recovery ({@code Recovery}, before the first record; the app and the test driver run the same
 * code):
 *
 * <pre>
 *  replicated: wait for the lease (runtime Lease), reading the changelog meanwhile
 *              ({@code ChangelogReadAhead}); fence the changelog, abort the former holder's last
 *              changelog transaction, read on to the sync markers ({@code Changelog})
 *  lock the state directory ({@code StateDirLock}) ──held──▶ refused, nothing touched
 *  open the state store ──damaged──▶ moved aside, empty store
 *  newest complete checkpoint ──unreadable──▶ moved aside, none ──changelog──▶ restored from it
 *         (replicated: the changelog's newest, unless the directory holds that very record)
 *  sinks: re-commit its committables unless recorded as committed, abort every other registered
 *         handle ({@code SinkRecovery})
 *  starts ({@code StartPlanner}): checkpointed position ─▶ durable cursor ─▶ source start position
 *         (a checkpoint older than the cursor is refused: a restored backup)
 *  report the layer (log + sluice.recovery.* meters)
 * </pre>
 */
package io.sluice.internal.checkpoint;
