package io.sluice.internal.graph;

/** One step of a compiled operator chain; called on the processing thread. */
@FunctionalInterface
public interface Emitter<T> {
  void emit(T value) throws Exception;
}
