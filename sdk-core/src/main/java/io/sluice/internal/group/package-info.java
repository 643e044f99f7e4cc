/**
 * Slot groups: each has a Disruptor ring fed by the fetchers of its partitions and one processing
 * thread ({@code ProcessingGroup}) running {@code GroupCore}: operator chains, keyed state, sink
 * writers, each partition's last processed position and watermark clock ({@code InputPartition}).
 * {@code SlotGroups} holds the app's groups and the topic → group plan ({@code SlotGroupPlanner}
 * for automatic groups). Only a group's processing thread touches its state.
 *
 * <p>Barrier handling, on the processing thread, never waiting on I/O:
 *
 * <pre>
 *  barrier(cid) ─▶ writers.prepareCommit(cid)   (futures; a throw fails only this checkpoint)
 *              ─▶ partition clocks saved, keyed state delta swapped out (reads still see it)
 *              ─▶ copy of the last position of every partition
 *              ─▶ GroupSnapshot to the coordinator
 * </pre>
 */
package io.sluice.internal.group;
