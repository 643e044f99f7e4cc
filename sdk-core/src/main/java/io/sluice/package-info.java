/**
 * The entry point: {@link io.sluice.Sluice#builder()} configures an app, its streams are declared
 * on the built {@link io.sluice.Sluice}, and {@code start()} runs them.
 *
 * <p>The public packages beside it: {@code stream} (the operations), {@code function} (keyed
 * process functions), {@code window}, {@code state} (keyed state, serdes, recovery layers), {@code
 * source}, {@code sink} (the two-phase sink SPI), {@code lookup}, {@code config} (options, Pulsar
 * security), {@code metrics}, {@code errors} and {@code testing} ({@code TestDriver}). Everything
 * under an {@code internal} package may change without notice. No two packages import each other,
 * directly or through others ({@code PackageCyclesTest}).
 */
package io.sluice;
