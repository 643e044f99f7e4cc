package io.sluice.errors;

/**
 * Thrown by {@link Committer#commit} when a committable can never be committed: the output it
 * stands for is gone (for example a Pulsar transaction the broker aborted). Other commit failures
 * are retried until they succeed; this one is not: the app fails at once, and its durable cursors
 * stay before the checkpoint whose output was lost.
 */
public class CommitLostException extends SinkException {
  private static final long serialVersionUID = 1L;

  public CommitLostException(String message) {
    super(message);
  }

  public CommitLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
