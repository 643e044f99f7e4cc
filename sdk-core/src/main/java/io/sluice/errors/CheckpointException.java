package io.sluice.errors;

/** A checkpoint could not be completed (too many in a row fail the app). */
public class CheckpointException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
