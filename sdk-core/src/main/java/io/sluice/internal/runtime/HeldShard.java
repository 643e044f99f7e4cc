package io.sluice.internal.runtime;

import io.sluice.internal.checkpoint.ChangelogReadAhead;
import java.nio.file.Path;

/**
 * A shard a replica took: its number, the lease it holds, its state directory, the replica's
 * connections and the changelog read while the lease settled (null without a changelog).
 */
record HeldShard(
    int shard,
    Lease lease,
    Path stateDir,
    PulsarConnections pulsar,
    ChangelogReadAhead readAhead) {}
