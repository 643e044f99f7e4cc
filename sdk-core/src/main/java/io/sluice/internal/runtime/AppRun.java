package io.sluice.internal.runtime;

import io.sluice.internal.AppSettings;
import io.sluice.internal.FailureLatch;
import io.sluice.internal.graph.JobGraph;
import io.sluice.state.RecoveryLayer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One app as {@code Sluice} runs it: an {@link AppRuntime}, or for a sharded app the {@link
 * ShardedRuntime} of this replica, which runs an {@link AppRuntime} for each shard it holds.
 */
public interface AppRun {

  /** The runtime for {@code settings}: sharded when the app has more than one shard. */
  static AppRun of(AppSettings settings, JobGraph graph, FailureLatch failure) {
    return settings.shards() > 1
        ? new ShardedRuntime(settings, graph, failure)
        : new AppRuntime(settings, graph, failure);
  }

  /**
   * Starts the app; a standby replica returns once it holds the app's lease, or one shard's. On any
   * error releases what was started and rethrows.
   */
  void start();

  /**
   * Stops everything. With {@code finalCheckpoint}, readers stop first and one last checkpoint
   * records everything processed. Returns whether every thread stopped in time.
   */
  boolean stop(Duration timeout, boolean finalCheckpoint);

  /** Ends a standby's wait to become active: {@link #start} then throws. */
  void cancelStart();

  /** The layer the (first) recovery came from; null before it ran. */
  RecoveryLayer recoveryLayer();

  /**
   * The id of the newest completed checkpoint (0: none yet); with several shards held, the lowest
   * of theirs, so that every held shard completed it or a later one.
   */
  long lastCompletedCheckpoint();

  /** When {@link #lastCompletedCheckpoint} completed, in epoch milliseconds (0: none yet). */
  long lastCompletedCheckpointAtMillis();

  /** The partitions read now. */
  Set<String> partitions();

  /** Which slot group reads each partition, for logs and tests. */
  Map<String, List<String>> slotGroupAssignment();
}
