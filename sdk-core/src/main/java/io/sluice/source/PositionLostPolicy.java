package io.sluice.source;

/** What to do when a checkpointed position's ledger was deleted by retention. */
public enum PositionLostPolicy {
  /** Fail start-up with an error naming the partition and the position (default). */
  FAIL,
  /** Log a WARN, count it, and continue from the earliest message still available. */
  EARLIEST
}
