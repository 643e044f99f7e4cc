package io.sluice.sink.internal;

import io.sluice.sink.SinkContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Tells one app's (or shard's) prepared output of one sink from everyone else's in a shared table
 * or directory: 16 hex digits of SHA-256 over the app's and the sink's names. A sink puts it into
 * the names of what it prepares, so that a start after a lost state directory can find and end
 * exactly what an earlier run of the same app and sink left behind ({@code Committer#abortOrphans})
 * without touching the output of other apps, or of the other shards of the same app, that write to
 * the same place. Hex digits only, so it fits any table or file name.
 */
public final class OutputScope {
  private OutputScope() {}

  public static String of(SinkContext context) {
    return of(context.appName(), context.sinkName());
  }

  public static String of(String app, String sink) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(app.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(sink.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
