package io.sluice.errors;

/** The local state (RocksDB) cannot be read or written. Names the directory and the fix. */
public class StateException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public StateException(String message, Throwable cause) {
    super(message, cause);
  }

  public StateException(String message) {
    super(message);
  }
}
