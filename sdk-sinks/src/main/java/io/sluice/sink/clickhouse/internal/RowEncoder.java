package io.sluice.sink.clickhouse.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Appends rows to a JSONEachRow request body. Strings, integers, booleans and nulls (what most rows
 * hold) are written directly, with the column names encoded once; any other value goes through
 * Jackson, as a whole row used to. Writing straight into the body, without a generator per row, is
 * what makes the sink's encoding cheaper than the plain client's per-row Jackson.
 *
 * <p>Not thread-safe: one per writer.
 */
final class RowEncoder {
  /** Thrown for a column the table does not have; nothing of the row is kept. */
  static final class UnknownColumnException extends Exception {
    private static final long serialVersionUID = 1L;
    final String column;

    UnknownColumnException(String column) {
      super(column, null, false, false);
      this.column = column;
    }
  }

  /**
   * A growing request body that can drop a half-written row. Unlike {@code ByteArrayOutputStream}
   * it takes no lock per byte.
   */
  static final class Body {
    private byte[] buf;
    private int count;

    Body(int size) {
      buf = new byte[size];
    }

    void write(int b) {
      if (count == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[count++] = (byte) b;
    }

    void write(byte[] b) {
      if (count + b.length > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + b.length));
      }
      System.arraycopy(b, 0, buf, count, b.length);
      count += b.length;
    }

    int size() {
      return count;
    }

    void truncate(int size) {
      count = size;
    }

    void reset() {
      count = 0;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, count);
    }
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);

  private final ObjectMapper mapper = new ObjectMapper();

  /** Column name to its encoded {@code "name":} prefix (with a leading comma after the first). */
  private final Map<String, byte[]> keys = new HashMap<>();

  RowEncoder(Set<String> columns) {
    for (String c : columns) {
      keys.put(c, key(c));
    }
  }

  private static byte[] key(String column) {
    Body b = new Body(column.length() * 3 + 4);
    try {
      writeString(column, b);
    } catch (IOException e) {
      throw new IllegalArgumentException("column name " + column + " cannot be encoded", e);
    }
    b.write(':');
    return b.toByteArray();
  }

  /**
   * Appends {@code {…row…}\n}. On any failure the body is left as it was and the failure is thrown.
   */
  void append(Map<String, ?> row, Body out) throws UnknownColumnException, IOException {
    int mark = out.size();
    try {
      out.write('{');
      boolean first = true;
      for (Map.Entry<String, ?> e : row.entrySet()) {
        byte[] key = keys.get(e.getKey());
        if (key == null) {
          throw new UnknownColumnException(String.valueOf(e.getKey()));
        }
        if (!first) {
          out.write(',');
        }
        first = false;
        out.write(key);
        writeValue(e.getValue(), out);
      }
      out.write('}');
      out.write('\n');
    } catch (UnknownColumnException | IOException | RuntimeException e) {
      out.truncate(mark);
      throw e;
    }
  }

  private void writeValue(Object v, Body out) throws IOException {
    if (v == null) {
      out.write(NULL);
    } else if (v instanceof String s) {
      writeString(s, out);
    } else if (v instanceof Long
        || v instanceof Integer
        || v instanceof Short
        || v instanceof Byte) {
      writeAscii(Long.toString(((Number) v).longValue()), out);
    } else if (v instanceof BigInteger b) {
      writeAscii(b.toString(), out);
    } else if (v instanceof Boolean b) {
      out.write(b ? TRUE : FALSE);
    } else {
      // Doubles, decimals, dates, arrays, maps…: exactly as Jackson writes them.
      out.write(mapper.writeValueAsBytes(v));
    }
  }

  private static void writeAscii(String s, Body out) {
    for (int i = 0; i < s.length(); i++) {
      out.write(s.charAt(i));
    }
  }

  /** A JSON string in UTF-8; a broken surrogate pair is refused, as Jackson refuses it. */
  private static void writeString(String s, Body out) throws IOException {
    out.write('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c != '"' && c != '\\') {
          out.write(c);
        } else {
          escape(c, out);
        }
      } else if (c < 0x800) {
        out.write(0xC0 | (c >> 6));
        out.write(0x80 | (c & 0x3F));
      } else if (!Character.isSurrogate(c)) {
        out.write(0xE0 | (c >> 12));
        out.write(0x80 | ((c >> 6) & 0x3F));
        out.write(0x80 | (c & 0x3F));
      } else {
        if (!Character.isHighSurrogate(c)
            || i + 1 >= s.length()
            || !Character.isLowSurrogate(s.charAt(i + 1))) {
          throw new IOException("broken surrogate pair in a string at index " + i);
        }
        int cp = Character.toCodePoint(c, s.charAt(++i));
        out.write(0xF0 | (cp >> 18));
        out.write(0x80 | ((cp >> 12) & 0x3F));
        out.write(0x80 | ((cp >> 6) & 0x3F));
        out.write(0x80 | (cp & 0x3F));
      }
    }
    out.write('"');
  }

  private static void escape(char c, Body out) {
    out.write('\\');
    switch (c) {
      case '"' -> out.write('"');
      case '\\' -> out.write('\\');
      case '\n' -> out.write('n');
      case '\r' -> out.write('r');
      case '\t' -> out.write('t');
      case '\b' -> out.write('b');
      case '\f' -> out.write('f');
      default -> {
        out.write('u');
        out.write('0');
        out.write('0');
        out.write(HEX[c >> 4]);
        out.write(HEX[c & 0xF]);
      }
    }
  }
}
