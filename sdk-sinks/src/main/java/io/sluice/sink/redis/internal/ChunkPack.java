package io.sluice.sink.redis.internal;

import java.util.Arrays;
import java.util.List;

/**
 * Encodes a staged chunk, a list of commands, as MessagePack: an array of commands, each an array
 * of strings (name, then arguments) holding the exact bytes Redis receives. The commit script
 * decodes it with {@code cmsgpack.unpack}. Only 32-bit headers are used (array32 {@code 0xdd},
 * str32 {@code 0xdb}; Redis's cmsgpack does not read bin types), so encoding is copying: nothing is
 * escaped, unlike JSON.
 */
final class ChunkPack {
  private static final int ARRAY32 = 0xdd;
  private static final int STR32 = 0xdb;

  private ChunkPack() {}

  static byte[] encode(List<EncodedCommand> chunk) {
    // One pass, growing as needed: the commands are read once (they are spread over the heap).
    byte[] out = new byte[5 + chunk.size() * 64];
    int at = header(out, 0, ARRAY32, chunk.size());
    for (EncodedCommand c : chunk) {
      byte[] name = c.command().getRaw();
      byte[][] args = c.args();
      int need = 10 + name.length;
      for (byte[] a : args) {
        need += 5 + a.length;
      }
      if (at + need > out.length) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, at + need));
      }
      at = header(out, at, ARRAY32, args.length + 1);
      at = string(out, at, name);
      for (byte[] a : args) {
        at = string(out, at, a);
      }
    }
    return at == out.length ? out : Arrays.copyOf(out, at);
  }

  private static int string(byte[] out, int at, byte[] bytes) {
    at = header(out, at, STR32, bytes.length);
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }

  private static int header(byte[] out, int at, int type, int n) {
    out[at] = (byte) type;
    out[at + 1] = (byte) (n >>> 24);
    out[at + 2] = (byte) (n >>> 16);
    out[at + 3] = (byte) (n >>> 8);
    out[at + 4] = (byte) n;
    return at + 5;
  }
}
