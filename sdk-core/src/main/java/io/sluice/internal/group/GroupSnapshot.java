package io.sluice.internal.group;

import io.sluice.sink.Committable;
import io.sluice.state.internal.StateDelta;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.MessageId;

/**
 * What a slot group hands the coordinator when it takes a barrier.
 *
 * @param positions last processed message of every partition the group has processed
 * @param delta keyed-state changes since the previous snapshot; {@code null} if the snapshot failed
 * @param prepared committables of the writers whose prepare succeeded (kept even when another
 *     writer's prepare failed: that data is already out of the writer and must be committed with
 *     the next checkpoint)
 * @param failure why the snapshot failed, or {@code null}
 */
public record GroupSnapshot(
    long checkpointId,
    Map<String, MessageId> positions,
    StateDelta delta,
    List<Prepared> prepared,
    Throwable failure) {

  /** A writer's prepared committable (completes when its data is flushed). */
  public record Prepared(String sink, CompletableFuture<Committable> committable) {}
}
