/** The catalogue of the meters Sluice registers: {@link io.sluice.metrics.Metric}. */
package io.sluice.metrics;
