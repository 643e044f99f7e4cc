package io.sluice.errors;

/** A sink could not write, prepare, commit or abort. Names the sink and what to check. */
public class SinkException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public SinkException(String message) {
    super(message);
  }

  public SinkException(String message, Throwable cause) {
    super(message, cause);
  }
}
