package io.sluice.internal.runtime;

import java.nio.file.Path;

/**
 * A shard a replica took: its number, the lease it holds, its state directory, the replica's
 * connections and what was prepared while the lease settled (its changelog read ahead and its state
 * directory opened).
 */
record HeldShard(
    int shard,
    Lease lease,
    Path stateDir,
    PulsarConnections pulsar,
    TakeOverPreparation prepared) {}
