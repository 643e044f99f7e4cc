package io.sluice.source;

/** What happens to a record its decoder cannot read. */
public enum BadRecordPolicy {
  /** Stop the app with an error naming topic, partition, message id and reason (default). */
  FAIL,
  /** Drop the record, count it ({@code sluice.source.bad.records}) and log it at WARN. */
  SKIP
}
