package io.sluice.errors;

/** Reading from Pulsar failed, or a record could not be read. Names topic, partition, position. */
public class SourceException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public SourceException(String message) {
    super(message);
  }

  public SourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
