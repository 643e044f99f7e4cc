package io.sluice.source;

/** What happens to a record its decoder cannot read. */
public enum BadRecordPolicy {
  /** Stop the app with an error naming topic, partition, message id and reason (default). */
  FAIL,
  /** Drop the record, count it ({@code sluice.source.bad.records}) and log it at WARN. */
  SKIP,
  /**
   * Write the original message to a dead-letter topic (see {@link PulsarSource#deadLetterTo}), with
   * the error and the source position as properties, and count it. The dead-letter writes are part
   * of the checkpoint (a Pulsar transaction): nothing lost or doubled.
   */
  DEAD_LETTER
}
