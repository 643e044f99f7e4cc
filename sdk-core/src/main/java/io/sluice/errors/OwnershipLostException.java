package io.sluice.errors;

/**
 * Another instance of a {@link Sluice.Builder#replicated replicated} app took it over while this
 * one still ran (this one was paused, cut off from the broker, or slow to hear of the hand-over):
 * this instance can no longer commit and stops. Nothing it had not committed is lost: the instance
 * that took over resumes from the newest committed checkpoint. Start this instance again to stand
 * by.
 */
public class OwnershipLostException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public OwnershipLostException(String message) {
    super(message);
  }

  public OwnershipLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
