package io.sluice.source.internal.json;

import io.sluice.source.internal.json.BeanPlan.Kind;
import io.sluice.source.internal.json.BeanPlan.Property;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Binds the common case of a JSON document to a plain class about twice as fast as Jackson
 * databind, and declines everything else so Jackson binds it: results and errors stay Jackson's.
 *
 * <p>It takes only documents it can bind exactly as a default {@code ObjectMapper} with {@code
 * FAIL_ON_NULL_FOR_PRIMITIVES} would (see {@link BeanPlan} for the classes): strict RFC 8259 JSON,
 * an object at the root with only whitespace after it, every key a public field of a supported
 * type, no key twice, strings as strings, integers without fraction or exponent (in range) for
 * integer fields, {@code true}/{@code false} for booleans, {@code null} only where Jackson keeps
 * it. Anything else — an unknown key, a coercion Jackson would make ({@code "12"} into a long),
 * malformed or unusual input, a number Jackson parses its own way — makes {@link #bind} return
 * {@code null}, and the caller hands the same bytes to Jackson. Declining is always safe; the
 * equivalence test compares both on generated and mutated documents.
 *
 * <p>Why not a library: fastjson2 binds this benchmark's events faster still (0.17 µs against
 * Jackson's 0.53) but accepts what Jackson refuses (an object into a String field, invalid UTF-8,
 * single quotes, comments) and ignores Jackson's annotations, which users of {@code
 * RecordDecoder.json} already rely on; DSL-JSON measured 0.30 µs. Thread-safe: it keeps no state
 * between calls.
 */
public final class FastJsonBinder<T> {
  /** Thrown (without a stack trace) to give the document to Jackson. */
  private static final class Decline extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Decline() {
      super("declined", null, false, false);
    }
  }

  private static final Decline DECLINE = new Decline();

  /** Longer strings are left to Jackson, which enforces its own maximum length. */
  private static final int MAX_STRING_BYTES = 1 << 20;

  /** Deeper nesting is left to Jackson (its limit is 1,000). */
  private static final int MAX_DEPTH = 64;

  private static final double[] POWERS_OF_TEN = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  private static final VarHandle WORDS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final BeanPlan plan;

  private FastJsonBinder(BeanPlan plan) {
    this.plan = plan;
  }

  /** A binder for {@code type}, or {@code null} when the class must be bound by Jackson alone. */
  public static <T> FastJsonBinder<T> forType(Class<T> type) {
    BeanPlan plan = BeanPlan.of(type);
    return plan == null ? null : new FastJsonBinder<>(plan);
  }

  /** The bound object, or {@code null}: this document is Jackson's to bind (or to refuse). */
  @SuppressWarnings("unchecked")
  public T bind(byte[] json) {
    Cursor c = new Cursor(json);
    try {
      c.skipWhitespace();
      c.expect('{');
      Object bean = readBean(plan, c, 0);
      c.skipWhitespace();
      if (c.pos != json.length) {
        throw DECLINE;
      }
      return (T) bean;
    } catch (Decline | BeanPlan.ConstructorFailed | ArrayIndexOutOfBoundsException e) {
      // the last: a document that ends early (every read is bounds-checked by the JVM)
      return null;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot set a field of " + plan.type.getName(), e);
    }
  }

  /** The object whose '{' was just read. */
  private static Object readBean(BeanPlan plan, Cursor c, int depth) throws IllegalAccessException {
    if (depth > MAX_DEPTH) {
      throw DECLINE;
    }
    Object bean = plan.newInstance();
    c.skipWhitespace();
    if (c.peek() == '}') {
      c.pos++;
      return bean;
    }
    long seen = 0;
    int hint = 0;
    while (true) {
      c.expect('"');
      Property p = plan.matchAt(c.bytes, c.pos, hint);
      if (p != null) {
        c.pos += p.name.length + 1;
      } else {
        int keyStart = c.pos;
        int keyEnd = c.asciiKeyEnd();
        p = plan.find(c.bytes, keyStart, keyEnd - keyStart);
      }
      if (p == null || (seen & (1L << p.index)) != 0) {
        throw DECLINE;
      }
      seen |= 1L << p.index;
      hint = p.index + 1;
      c.skipWhitespace();
      c.expect(':');
      c.skipWhitespace();
      readInto(p, bean, c, depth);
      c.skipWhitespace();
      byte next = c.next();
      if (next == '}') {
        return bean;
      }
      if (next != ',') {
        throw DECLINE;
      }
      c.skipWhitespace();
    }
  }

  private static void readInto(Property p, Object bean, Cursor c, int depth)
      throws IllegalAccessException {
    switch (p.kind) {
      case LONG -> p.field.setLong(bean, c.readLong());
      case INT -> p.field.setInt(bean, c.readInt());
      case DOUBLE -> p.field.setDouble(bean, c.readDouble());
      case BOOLEAN -> p.field.setBoolean(bean, c.readBoolean());
      case LIST -> p.field.set(bean, c.readNull() ? null : readList(p, c, depth));
      case BEAN -> p.field.set(bean, c.readNull() ? null : readNested(p.bean, c, depth));
      default -> p.field.set(bean, c.readNull() ? null : readBoxed(p.kind, c));
    }
  }

  private static Object readNested(BeanPlan plan, Cursor c, int depth)
      throws IllegalAccessException {
    c.expect('{');
    return readBean(plan, c, depth + 1);
  }

  private static Object readBoxed(Kind kind, Cursor c) {
    return switch (kind) {
      case STRING -> c.readString();
      case LONG_BOX -> c.readLong();
      case INT_BOX -> c.readInt();
      case DOUBLE_BOX -> c.readDouble();
      case BOOLEAN_BOX -> c.readBoolean();
      default -> throw new IllegalStateException("not a boxed kind: " + kind);
    };
  }

  private static List<Object> readList(Property p, Cursor c, int depth)
      throws IllegalAccessException {
    c.expect('[');
    List<Object> list = new ArrayList<>();
    c.skipWhitespace();
    if (c.peek() == ']') {
      c.pos++;
      return list;
    }
    while (true) {
      if (c.readNull()) {
        list.add(null);
      } else if (p.element == Kind.BEAN) {
        list.add(readNested(p.bean, c, depth));
      } else {
        list.add(readBoxed(p.element, c));
      }
      c.skipWhitespace();
      byte next = c.next();
      if (next == ']') {
        return list;
      }
      if (next != ',') {
        throw DECLINE;
      }
      c.skipWhitespace();
    }
  }

  /** A read position in one document; every method declines what it does not take. */
  private static final class Cursor {
    final byte[] bytes;
    int pos;

    Cursor(byte[] bytes) {
      this.bytes = bytes;
    }

    byte peek() {
      return bytes[pos];
    }

    byte next() {
      return bytes[pos++];
    }

    void expect(char ch) {
      if (bytes[pos++] != ch) {
        throw DECLINE;
      }
    }

    void skipWhitespace() {
      byte[] b = bytes;
      int p = pos;
      while (p < b.length) {
        byte x = b[p];
        if (x != ' ' && x != '\n' && x != '\r' && x != '\t') {
          break;
        }
        p++;
      }
      pos = p;
    }

    /** Past the closing quote of a key made of printable ASCII without escapes; returns its end. */
    int asciiKeyEnd() {
      byte[] b = bytes;
      int p = pos;
      while (true) {
        byte x = b[p];
        if (x == '"') {
          pos = p + 1;
          return p;
        }
        if (x < 0x20 || x == '\\') {
          throw DECLINE;
        }
        p++;
      }
    }

    /** Reads {@code null} if it is next; anything starting with 'n' must be exactly that. */
    boolean readNull() {
      if (bytes[pos] != 'n') {
        return false;
      }
      literal("null");
      return true;
    }

    boolean readBoolean() {
      byte x = bytes[pos];
      if (x == 't') {
        literal("true");
        return true;
      }
      if (x == 'f') {
        literal("false");
        return false;
      }
      throw DECLINE;
    }

    private void literal(String word) {
      for (int i = 0; i < word.length(); i++) {
        if (bytes[pos + i] != word.charAt(i)) {
          throw DECLINE;
        }
      }
      pos += word.length();
    }

    int readInt() {
      long v = readLong();
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw DECLINE;
      }
      return (int) v;
    }

    /**
     * An integer literal of at most 18 digits (always within a long). A fraction or exponent is
     * left in place, and the caller's next expectation declines it.
     */
    long readLong() {
      byte[] b = bytes;
      int p = pos;
      boolean negative = b[p] == '-';
      if (negative) {
        p++;
      }
      int start = p;
      long v = 0;
      while (p < b.length && b[p] >= '0' && b[p] <= '9') {
        v = v * 10 + (b[p] - '0');
        p++;
      }
      int digits = p - start;
      if (digits == 0 || digits > 18 || (digits > 1 && b[start] == '0')) {
        throw DECLINE;
      }
      pos = p;
      return negative ? -v : v;
    }

    /**
     * A JSON number as the nearest double. Exact when the digits fit 2^53 and the power of ten is
     * at most 22 (one correctly rounded multiplication or division, Clinger's fast path); other
     * numbers go through {@link Double#parseDouble}, as in Jackson. Both round correctly, so the
     * result equals Jackson's.
     */
    double readDouble() {
      byte[] b = bytes;
      int start = pos;
      int p = pos;
      boolean negative = b[p] == '-';
      if (negative) {
        p++;
      }
      long significand = 0;
      int significantDigits = 0;
      int intStart = p;
      while (p < b.length && b[p] >= '0' && b[p] <= '9') {
        significand = accumulate(significand, significantDigits, b[p]);
        significantDigits += significand == 0 ? 0 : 1;
        p++;
      }
      int intDigits = p - intStart;
      if (intDigits == 0 || (intDigits > 1 && b[intStart] == '0')) {
        throw DECLINE;
      }
      int exponent = 0;
      boolean integer = true;
      if (p < b.length && b[p] == '.') {
        integer = false;
        p++;
        int fracStart = p;
        while (p < b.length && b[p] >= '0' && b[p] <= '9') {
          significand = accumulate(significand, significantDigits, b[p]);
          significantDigits += significand == 0 ? 0 : 1;
          exponent--;
          p++;
        }
        if (p == fracStart) {
          throw DECLINE;
        }
      }
      if (p < b.length && (b[p] == 'e' || b[p] == 'E')) {
        integer = false;
        p++;
        boolean negativeExponent = false;
        if (p < b.length && (b[p] == '+' || b[p] == '-')) {
          negativeExponent = b[p] == '-';
          p++;
        }
        int expStart = p;
        int explicit = 0;
        while (p < b.length && b[p] >= '0' && b[p] <= '9') {
          explicit = explicit * 10 + (b[p] - '0');
          p++;
          if (p - expStart > 4) {
            throw DECLINE;
          }
        }
        if (p == expStart) {
          throw DECLINE;
        }
        exponent += negativeExponent ? -explicit : explicit;
      }
      if (integer && (intDigits > 18 || (negative && significand == 0))) {
        // Jackson reads these as integers first (-0 becomes 0.0, long ones BigInteger)
        throw DECLINE;
      }
      pos = p;
      if (significantDigits <= 15 && exponent >= -22 && exponent <= 22) {
        double v = significand;
        v = exponent >= 0 ? v * POWERS_OF_TEN[exponent] : v / POWERS_OF_TEN[-exponent];
        return negative ? -v : v;
      }
      if (p - start > 100) {
        throw DECLINE;
      }
      return Double.parseDouble(new String(b, start, p - start, StandardCharsets.US_ASCII));
    }

    /** Adds a digit while 15 significant digits fit; beyond that the slow path takes over. */
    private static long accumulate(long significand, int significantDigits, byte digit) {
      return significantDigits >= 16 ? significand : significand * 10 + (digit - '0');
    }

    /** A string value (the opening quote is next); declines anything but a string. */
    String readString() {
      byte[] b = bytes;
      if (b[pos] != '"') {
        throw DECLINE;
      }
      int start = pos + 1;
      int p = plainAsciiEnd(b, start);
      boolean ascii = true;
      while (true) {
        byte x = b[p];
        if (x == '"') {
          break;
        }
        if (x == '\\') {
          return escapedString(start);
        }
        if (x < 0) {
          ascii = false;
        } else if (x < 0x20) {
          throw DECLINE;
        }
        p++;
      }
      int length = p - start;
      if (length > MAX_STRING_BYTES) {
        throw DECLINE;
      }
      pos = p + 1;
      if (ascii) {
        return new String(b, start, length, StandardCharsets.ISO_8859_1);
      }
      Utf8.validate(b, start, p);
      return new String(b, start, length, StandardCharsets.UTF_8);
    }

    /**
     * Skips printable ASCII other than quote and backslash (the usual string bytes) eight at a
     * time; returns the first other byte (usually the closing quote), or where fewer than eight are
     * left.
     */
    private static int plainAsciiEnd(byte[] b, int p) {
      while (p + Long.BYTES <= b.length) {
        long w = (long) WORDS.get(b, p);
        long special =
            zeroByte(w ^ 0x2222222222222222L)
                | zeroByte(w ^ 0x5C5C5C5C5C5C5C5CL)
                | ((w - 0x2020202020202020L) & ~w)
                | w;
        special &= 0x8080808080808080L;
        if (special != 0) {
          // the lowest flagged byte is a real one (a borrow only flags bytes above a real match)
          return p + (Long.numberOfTrailingZeros(special) >>> 3);
        }
        p += Long.BYTES;
      }
      return p;
    }

    /** Nonzero exactly when some byte of {@code w} is zero (high bits only). */
    private static long zeroByte(long w) {
      return (w - 0x0101010101010101L) & ~w & 0x8080808080808080L;
    }

    /** The slow path of {@link #readString}, for strings with escapes. */
    private String escapedString(int start) {
      byte[] b = bytes;
      StringBuilder out = new StringBuilder();
      int p = start;
      while (true) {
        if (p - start > MAX_STRING_BYTES) {
          throw DECLINE;
        }
        int x = b[p] & 0xFF;
        if (x == '"') {
          pos = p + 1;
          return out.toString();
        }
        if (x == '\\') {
          p = unescape(b, p + 1, out);
        } else if (x < 0x20) {
          throw DECLINE;
        } else if (x < 0x80) {
          out.append((char) x);
          p++;
        } else {
          p = Utf8.appendCodePoint(b, p, out);
        }
      }
    }

    private static int unescape(byte[] b, int p, StringBuilder out) {
      byte x = b[p];
      switch (x) {
        case '"', '\\', '/' -> out.append((char) x);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          int v = 0;
          for (int i = 1; i <= 4; i++) {
            int d = Character.digit(b[p + i], 16);
            if (d < 0) {
              throw DECLINE;
            }
            v = (v << 4) | d;
          }
          out.append((char) v);
          return p + 5;
        }
        default -> throw DECLINE;
      }
      return p + 1;
    }
  }

  /** Strict UTF-8 (no overlong forms, no encoded surrogates, nothing above U+10FFFF). */
  private static final class Utf8 {
    private Utf8() {}

    static void validate(byte[] b, int from, int to) {
      int p = from;
      while (p < to) {
        p = b[p] >= 0 ? p + 1 : sequenceEnd(b, p, to);
      }
    }

    static int appendCodePoint(byte[] b, int p, StringBuilder out) {
      int end = sequenceEnd(b, p, b.length);
      int lead = b[p] & 0xFF;
      int cp =
          switch (end - p) {
            case 2 -> lead & 0x1F;
            case 3 -> lead & 0x0F;
            default -> lead & 0x07;
          };
      for (int i = p + 1; i < end; i++) {
        cp = (cp << 6) | (b[i] & 0x3F);
      }
      out.appendCodePoint(cp);
      return end;
    }

    /** The end of the multi-byte sequence starting at {@code p}; declines an invalid one. */
    private static int sequenceEnd(byte[] b, int p, int limit) {
      int lead = b[p] & 0xFF;
      int length;
      int min = 0x80;
      int max = 0xBF;
      if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) {
          min = 0xA0;
        } else if (lead == 0xED) {
          max = 0x9F;
        }
      } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) {
          min = 0x90;
        } else if (lead == 0xF4) {
          max = 0x8F;
        }
      } else {
        throw DECLINE;
      }
      if (p + length > limit) {
        throw DECLINE;
      }
      int second = b[p + 1] & 0xFF;
      if (second < min || second > max) {
        throw DECLINE;
      }
      for (int i = p + 2; i < p + length; i++) {
        if ((b[i] & 0xC0) != 0x80) {
          throw DECLINE;
        }
      }
      return p + length;
    }
  }
}
