package io.sluice.internal.checkpoint;

/**
 * Holds what comes in from the readers while a commit is behind, so that processing does not run on
 * unboundedly (state changes and sink output piling up in memory) while a sink's server is down.
 */
@FunctionalInterface
public interface Intake {
  /** Runs {@code waiting} with the readers' records held back, where possible. */
  void holdWhile(Runnable waiting);
}
