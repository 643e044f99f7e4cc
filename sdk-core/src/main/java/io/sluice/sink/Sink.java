package io.sluice.sink;

/**
 * An exactly-once destination. The runtime creates one writer per slot group and one committer.
 * Each implementation documents how its commit stays exactly-once when the process is killed at any
 * instant.
 *
 * @param <T> record type
 */
public interface Sink<T> {
  /** Unique within an app: committables and pending handles are stored under this name. */
  String name();

  SinkWriter<T> createWriter(SinkContext context);

  Committer createCommitter(SinkContext context);
}
