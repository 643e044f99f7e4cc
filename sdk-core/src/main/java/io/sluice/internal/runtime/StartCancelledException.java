package io.sluice.internal.runtime;

import io.sluice.errors.SluiceException;

/** A standby replica was closed before it became active: not a failure of the app. */
public final class StartCancelledException extends SluiceException {
  private static final long serialVersionUID = 1L;

  StartCancelledException(String message) {
    super(message);
  }
}
