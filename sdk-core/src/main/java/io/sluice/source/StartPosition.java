package io.sluice.source;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.pulsar.client.api.MessageId;

/**
 * Where a partition is read from when neither a checkpoint nor the durable cursor has a position
 * for it. Partitions discovered while running always start at their earliest message.
 */
public sealed interface StartPosition {
  /** The oldest message still stored. */
  static StartPosition earliest() {
    return Earliest.INSTANCE;
  }

  /** Only messages published after the reader starts. */
  static StartPosition latest() {
    return Latest.INSTANCE;
  }

  /** The first message published at or after {@code epochMillis}. */
  static StartPosition timestamp(long epochMillis) {
    if (epochMillis < 0) {
      throw new IllegalArgumentException(
          "Invalid start timestamp " + epochMillis + ": must be epoch milliseconds >= 0");
    }
    return new Timestamp(epochMillis);
  }

  /**
   * The message after the given id, per partition topic name ({@code ...-partition-N}, or the topic
   * name for a non-partitioned topic; short names are in {@code public/default}, as in {@link
   * PulsarSource#topics}); partitions not in the map start at their earliest. The app's start fails
   * on a name that is none of the source's partitions.
   */
  static StartPosition messageIds(Map<String, MessageId> afterIds) {
    return new AfterMessageIds(afterIds);
  }

  /** See {@link #earliest()}. */
  enum Earliest implements StartPosition {
    INSTANCE
  }

  /** See {@link #latest()}. */
  enum Latest implements StartPosition {
    INSTANCE
  }

  /** See {@link #timestamp(long)}. */
  record Timestamp(long epochMillis) implements StartPosition {}

  /** See {@link #messageIds(Map)}; the names are qualified as {@link PulsarSource#topics} does. */
  record AfterMessageIds(Map<String, MessageId> ids) implements StartPosition {
    public AfterMessageIds {
      Objects.requireNonNull(ids, "afterIds must not be null");
      Map<String, MessageId> qualified = new HashMap<>();
      ids.forEach(
          (topic, id) -> {
            Objects.requireNonNull(topic, "afterIds must not hold a null topic");
            Objects.requireNonNull(id, "afterIds must not hold a null id (for " + topic + ")");
            if (qualified.put(PulsarSource.qualify(topic), id) != null) {
              throw new IllegalArgumentException(
                  "afterIds names " + PulsarSource.qualify(topic) + " twice");
            }
          });
      ids = Map.copyOf(qualified);
    }
  }
}
