package io.sluice.internal.group;

import io.sluice.state.internal.KeyedStateBackend;
import java.util.concurrent.CompletableFuture;

/** What the checkpoint coordinator needs from a slot group. */
public interface SlotGroup {
  /** Completes when the group's processing thread has taken the barrier. */
  CompletableFuture<GroupSnapshot> barrier(long checkpointId);

  KeyedStateBackend keyedState();
}
