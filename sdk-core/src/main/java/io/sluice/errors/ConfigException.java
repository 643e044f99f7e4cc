package io.sluice.errors;

/** A setting is invalid or names something that does not exist. Thrown before anything starts. */
public class ConfigException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
