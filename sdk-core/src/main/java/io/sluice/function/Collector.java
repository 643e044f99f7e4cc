package io.sluice.function;

/** Emits results downstream; valid only during the call that received it. */
@FunctionalInterface
public interface Collector<T> {
  void collect(T value);
}
