package io.sluice.sink.internal;

import io.sluice.sink.Committable;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names one writer's output between two checkpoints: {@code w<writer>-<token>-<seq>}. The token is
 * random per writer instance, so a batch id is never reused, not even after a restart that reuses
 * checkpoint ids or writer indexes (as after a lost state directory, or by another instance of the
 * same app). The checkpoint id is deliberately not part of it: output is registered with {@code
 * SinkContext#registerPending} before its checkpoint id is known, and the registered handle must be
 * byte-equal to the committable so the runtime can forget it once committed.
 *
 * @param writer the writer's index
 * @param token 16 hex digits, random per writer instance
 * @param seq the batch's number within the writer instance, from 1
 */
public record BatchId(int writer, String token, long seq) {
  private static final Pattern FORMAT = Pattern.compile("w(\\d+)-([0-9a-f]{16})-(\\d+)");
  private static final SecureRandom RANDOM = new SecureRandom();

  public BatchId {
    Objects.requireNonNull(token, "token must not be null");
  }

  /** A fresh random token for a new writer instance. */
  public static String newToken() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  public BatchId next() {
    return new BatchId(writer, token, seq + 1);
  }

  public Committable toCommittable() {
    return Committable.of(toString().getBytes(StandardCharsets.US_ASCII));
  }

  /** Parses what {@link #toCommittable} wrote; names the sink in the error. */
  public static BatchId of(Committable committable, String sink) {
    String s = new String(committable.bytes(), StandardCharsets.US_ASCII);
    Matcher m = FORMAT.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "Sink " + sink + ": not a batch id of this sink: '" + s + "'");
    }
    return new BatchId(Integer.parseInt(m.group(1)), m.group(2), Long.parseLong(m.group(3)));
  }

  @Override
  public String toString() {
    return "w" + writer + "-" + token + "-" + seq;
  }
}
