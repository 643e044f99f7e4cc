/**
 * Every exception Sluice throws, each a {@link io.sluice.errors.SluiceException}: settings ({@link
 * io.sluice.errors.ConfigException}, thrown before anything starts), input ({@link
 * io.sluice.errors.SourceException}, {@link io.sluice.errors.SchemaViolationException}), output
 * ({@link io.sluice.errors.SinkException}, {@link io.sluice.errors.CommitLostException}), state and
 * checkpoints ({@link io.sluice.errors.StateException}, {@link
 * io.sluice.errors.CheckpointException}) and replicas ({@link
 * io.sluice.errors.OwnershipLostException}). Each message names the thing that failed and the fix.
 *
 * <p>The package depends on nothing else in Sluice, so every other package may throw them.
 */
package io.sluice.errors;
