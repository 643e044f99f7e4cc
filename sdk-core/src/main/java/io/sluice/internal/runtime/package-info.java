/**
 * The app's lifecycle: {@code AppRuntime} connects, runs {@code Recovery}, starts the slot groups,
 * readers and the checkpoint, commit, ticker and discovery threads, and stops them in order
 * (readers first, a final checkpoint, commits, groups, aborts of unrecorded output, clients,
 * store). {@code Regrouper} re-plans automatic slot groups at a checkpoint boundary. {@code
 * DriverRuntime} runs the same groups, coordinator and recovery on the caller's thread without a
 * broker, for {@code TestDriver}.
 */
package io.sluice.internal.runtime;
