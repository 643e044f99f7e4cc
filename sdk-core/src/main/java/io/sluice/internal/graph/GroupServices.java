package io.sluice.internal.graph;

import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.state.internal.KeyedStateBackend;

/** What a slot group gives the operators compiled for it. */
public interface GroupServices {
  KeyedStateBackend keyedState();

  /** Creates (and registers for checkpoints) this group's writer of {@code sink}. */
  <T> SinkWriter<T> writer(Sink<T> sink);
}
