package io.sluice.sink.redis.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Protocol;

/**
 * One command as Redis receives it: its name and its arguments (key first) in UTF-8, encoded once
 * when the record is written. Staging copies the same bytes into its MessagePack chunk and the
 * MULTI/EXEC commit hands them to Jedis unchanged, so no string is encoded twice.
 *
 * @param command the command
 * @param args the arguments after the name, key first
 */
public record EncodedCommand(Protocol.Command command, byte[][] args) {
  public static EncodedCommand of(Protocol.Command command, String... args) {
    byte[][] bytes = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      bytes[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
    return new EncodedCommand(command, bytes);
  }

  /** Name and arguments as text (for tests and messages). */
  public List<String> toStrings() {
    List<String> out = new ArrayList<>(args.length + 1);
    out.add(command.name());
    for (byte[] a : args) {
      out.add(new String(a, StandardCharsets.UTF_8));
    }
    return out;
  }
}
