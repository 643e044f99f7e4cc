package io.sluice.sink.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Protocol;

class ChunkPackTest {
  /** Reads the two-level array of str32 back (the real reader is Redis's cmsgpack, see the IT). */
  private static List<List<String>> decode(byte[] packed) {
    ByteBuffer in = ByteBuffer.wrap(packed);
    assertThat(in.get() & 0xff).isEqualTo(0xdd);
    int commands = in.getInt();
    List<List<String>> out = new ArrayList<>();
    for (int c = 0; c < commands; c++) {
      assertThat(in.get() & 0xff).isEqualTo(0xdd);
      int args = in.getInt();
      List<String> command = new ArrayList<>();
      for (int a = 0; a < args; a++) {
        assertThat(in.get() & 0xff).isEqualTo(0xdb);
        byte[] bytes = new byte[in.getInt()];
        in.get(bytes);
        command.add(new String(bytes, StandardCharsets.UTF_8));
      }
      out.add(command);
    }
    assertThat(in.remaining()).as("nothing after the chunk").isZero();
    return out;
  }

  @Test
  void shouldWriteEveryArgumentAsItsExactBytes() {
    String odd = "line\nnext\ttab\u0001\u0000 \"q\" \\ é € 😀 中文";
    List<EncodedCommand> chunk =
        List.of(
            EncodedCommand.of(Protocol.Command.HINCRBY, "h", "f", "-3"),
            EncodedCommand.of(Protocol.Command.SET, "k", odd, "PX", "5"),
            EncodedCommand.of(Protocol.Command.LPUSH, "", "v"));
    assertThat(decode(ChunkPack.encode(chunk)))
        .containsExactly(
            List.of("HINCRBY", "h", "f", "-3"),
            List.of("SET", "k", odd, "PX", "5"),
            List.of("LPUSH", "", "v"));
  }

  @Test
  void shouldEncodeAnEmptyChunk() {
    assertThat(decode(ChunkPack.encode(List.of()))).isEmpty();
  }
}
