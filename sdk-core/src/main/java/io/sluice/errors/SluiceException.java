package io.sluice.errors;

/**
 * Root of every error Sluice throws. Messages name the resource (topic, partition, sink, path) and
 * the fix; the cause is always kept. Subtypes: {@code ConfigException}, {@code SourceException},
 * {@code SinkException}, {@code io.sluice.errors.StateException}, {@code CheckpointException}.
 */
public class SluiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SluiceException(String message) {
    super(message);
  }

  public SluiceException(String message, Throwable cause) {
    super(message, cause);
  }
}
