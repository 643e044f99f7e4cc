package io.sluice.internal;

import java.util.Map;
import org.apache.pulsar.client.api.MessageId;

/** Advances the durable cursors once a checkpoint's sinks are committed. */
interface CursorCommitter {
  void advanceCursors(Map<String, MessageId> positions);
}
