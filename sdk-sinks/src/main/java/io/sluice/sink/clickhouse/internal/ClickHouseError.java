package io.sluice.sink.clickhouse.internal;

import io.sluice.errors.SinkException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A ClickHouse request failed; {@link #retryable()} says whether repeating it may help. */
public final class ClickHouseError extends SinkException {
  private static final long serialVersionUID = 1L;
  private static final Pattern CODE = Pattern.compile("Code: (\\d+)");

  /** Server error codes of passing trouble; every other coded error is about the request. */
  private static final Set<Integer> TRANSIENT =
      Set.of(
          3, // UNEXPECTED_END_OF_FILE
          159, // TIMEOUT_EXCEEDED
          164, // READONLY (replica in read-only mode)
          202, // TOO_MANY_SIMULTANEOUS_QUERIES
          209, // SOCKET_TIMEOUT
          210, // NETWORK_ERROR
          216, // QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING
          241, // MEMORY_LIMIT_EXCEEDED
          252, // TOO_MANY_PARTS
          425, // SYSTEM_ERROR
          999, // KEEPER_EXCEPTION
          1000); // POCO_EXCEPTION

  private final int status;
  private final int code;
  private final String body;

  public ClickHouseError(String message, int status, String body, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.body = body;
    Matcher m = CODE.matcher(body == null ? "" : body);
    this.code = m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The HTTP status, or -1 when no answer came. */
  public int status() {
    return status;
  }

  /** ClickHouse's error code, or -1 when the answer had none. */
  public int code() {
    return code;
  }

  /** The server's answer (may be null). */
  public String body() {
    return body;
  }

  public boolean retryable() {
    return status < 0 || code < 0 || TRANSIENT.contains(code);
  }

  /**
   * The tables of an {@code ATTACH PARTITION … FROM} differ in structure (the target was altered
   * after the batch was staged).
   */
  public boolean differentStructure() {
    return code == 122; // INCOMPATIBLE_COLUMNS: "Tables have different structure"
  }

  public boolean sameQueryRunning() {
    return code == 216;
  }
}
