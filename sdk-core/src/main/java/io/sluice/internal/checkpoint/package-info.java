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
 *  4 commit the committables (idempotent; retried until they succeed)
 *  5 forget the sinks' pending handles that were committed
 *  6 advance the durable cursors to the checkpointed positions ({@code DurableCursors})
 * </pre>
 *
 * Recovery ({@code Recovery}, before the first record; the app and the test driver run the same
 * code):
 *
 * <pre>
 *  open the state store ──damaged──▶ moved aside, empty store
 *  newest complete checkpoint ──unreadable──▶ moved aside, none
 *  sinks: re-commit its committables, abort every other registered handle ({@code SinkRecovery})
 *  starts ({@code StartPlanner}): checkpointed position ─▶ durable cursor ─▶ source start position
 *  report the layer (log + sluice.recovery.* meters)
 * </pre>
 */
package io.sluice.internal.checkpoint;
