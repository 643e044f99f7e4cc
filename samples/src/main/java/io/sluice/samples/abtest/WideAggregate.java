package io.sluice.samples.abtest;

import io.sluice.window.AggregateFunction;

/** Counts a window's events into one {@link WideCounts}. */
final class WideAggregate implements AggregateFunction<AbEvent, WideCounts, WideCounts> {
  @Override
  public WideCounts createAccumulator() {
    return new WideCounts();
  }

  @Override
  public WideCounts add(AbEvent value, WideCounts accumulator) {
    accumulator.add(value);
    return accumulator;
  }

  @Override
  public WideCounts getResult(WideCounts accumulator) {
    return accumulator;
  }
}
