package io.sluice.internal.graph;

import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.state.internal.KeyedStateBackend;
import java.util.Collection;

/** What a slot group gives the operators compiled for it (all on its processing thread). */
public interface GroupServices {
  KeyedStateBackend keyedState();

  /** Creates (and registers for checkpoints) this group's writer of {@code sink}. */
  <T> SinkWriter<T> writer(Sink<T> sink);

  /** Event time of the element being processed. */
  long currentEventTime();

  void setCurrentEventTime(long timestamp);

  /** Reports an element's event time to the current partition's watermark clock. */
  void observeEventTime(long timestamp);

  /** The slot group's watermark: no element older than this is expected any more. */
  long currentWatermark();

  /** Called on the processing thread whenever the group's watermark advances. */
  void onWatermark(WatermarkListener listener);

  /**
   * The keyed-state scopes of the group's partitions (one empty scope when state is not scoped by
   * topic): operators with timers load each scope's timers.
   */
  Collection<byte[]> stateScopes();

  /** Processing time now, epoch ms (the driver's clock under the test driver). */
  long currentProcessingTime();

  /** Called on the processing thread at every tick (100 ms in production) with the time. */
  void onTick(TickListener listener);

  /** Told the processing time at every tick. */
  @FunctionalInterface
  interface TickListener {
    void tick(long processingTime) throws Exception;
  }

  /** Told when the watermark advances. */
  @FunctionalInterface
  interface WatermarkListener {
    void advance(long watermark) throws Exception;
  }
}
