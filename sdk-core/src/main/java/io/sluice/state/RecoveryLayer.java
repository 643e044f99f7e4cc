package io.sluice.state;

/** Where a partition's start position came from when the app started. */
public enum RecoveryLayer {
  /** The newest complete local checkpoint (exactly-once). */
  CHECKPOINT,
  /**
   * The durable Pulsar cursor of the subscription: the local checkpoint was missing or damaged.
   * Output since the cursor's last advance may be produced again (at-least-once for that span).
   */
  DURABLE_CURSOR,
  /** The source's configured start position: nothing was recorded yet. */
  START_POSITION,
  /**
   * The newest checkpoint kept in the app's changelog topic in Pulsar ({@code stateChangelog}): the
   * local state directory was missing or damaged. Exactly-once, like {@link #CHECKPOINT}.
   */
  CHANGELOG
}
