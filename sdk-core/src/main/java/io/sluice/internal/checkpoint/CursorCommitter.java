package io.sluice.internal.checkpoint;

import java.util.Map;
import org.apache.pulsar.client.api.MessageId;

/** Advances the durable cursors once a checkpoint's sinks are committed. */
public interface CursorCommitter {
  void advanceCursors(Map<String, MessageId> positions);
}
