package io.sluice.source.internal.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.pulsar.client.api.MessageId;
import org.junit.jupiter.api.Test;

/**
 * The fast binder must never bind a document differently from Jackson: whatever it takes, Jackson
 * takes too, with an equal result. Checked on hand-picked documents and on hundreds of thousands of
 * generated and mutated ones.
 */
class FastJsonBinderTest {
  private static final ObjectMapper JACKSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** The benchmark's event. */
  public static final class Event {
    public long id;
    public long sentNanos;
    public String user;
    public String kind;
    public String page;
    public double amount;
    public List<String> tags;
    public String pad;
  }

  /** Every kind the binder takes. */
  public static final class Mixed {
    public int count;
    public Integer boxedCount;
    public Long boxedId;
    public long id;
    public double ratio;
    public Double boxedRatio;
    public boolean flag;
    public Boolean maybe;
    public String text;
    public List<Long> longs;
    public List<Double> doubles;
    public List<Integer> ints;
    public List<Boolean> bools;
    public List<String> strings;
    public Inner inner;
    public List<Inner> inners;
  }

  /** A nested class that refers to itself. */
  public static final class Inner {
    public String name;
    public long n;
    public Inner child;
  }

  /** A base class's public fields are properties too. */
  public static class Base {
    public String region;
  }

  public static final class Derived extends Base {
    public long total;
  }

  public static final class WithSetter {
    public String name;

    public void setName(String name) {
      this.name = name.trim();
    }
  }

  public static final class WithPrivateSetter {
    public String name;

    @SuppressWarnings("unused")
    private void setName(String name) {
      this.name = "set:" + name;
    }
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Lenient {
    public long id;
  }

  public static final class Renamed {
    @JsonProperty("user_name")
    public String user;
  }

  public static final class WithFinal {
    public final String name = "x";
  }

  public static final class WithMap {
    public Map<String, String> attributes;
  }

  public static final class WithRawList {
    @SuppressWarnings("rawtypes")
    public List things;
  }

  public static final class WithInstant {
    public java.time.Instant at;
  }

  public static final class NoDefaultConstructor {
    public long id;

    public NoDefaultConstructor(long id) {
      this.id = id;
    }
  }

  public record AsRecord(long id, String name) {}

  /** Jackson makes a {@code @ConstructorProperties} constructor its creator. */
  public static final class WithConstructorProperties {
    public long id;

    public WithConstructorProperties() {}

    @java.beans.ConstructorProperties({"id"})
    public WithConstructorProperties(long id) {
      this.id = id * 2;
    }
  }

  /** Jackson reads these as a list, a map and an exception, not as beans. */
  public static final class ListLike extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;
    public long id;
  }

  public static final class MapLike extends java.util.HashMap<String, String> {
    private static final long serialVersionUID = 1L;
    public long id;
  }

  public static final class ErrorLike extends Exception {
    private static final long serialVersionUID = 1L;
    public long id;
  }

  public static final class IterableLike implements Iterable<String> {
    public long id;

    @Override
    public java.util.Iterator<String> iterator() {
      return List.of("a").iterator();
    }
  }

  /** Jackson reads annotations on implemented interfaces as well. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public interface Tolerant {}

  public static final class ImplementsAnnotated implements Tolerant {
    public long id;
  }

  public static final class WithBadNested {
    public WithSetter nested;
  }

  public static final class ThrowingConstructor {
    public long id;

    public ThrowingConstructor() {
      throw new IllegalStateException("constructor refused");
    }
  }

  @Test
  void shouldBindPlainDocumentsExactlyAsJacksonDoes() throws Exception {
    String[] documents = {
      "{\"id\":7,\"sentNanos\":0,\"user\":\"user-7\",\"kind\":\"click\",\"page\":\"/catalog/items/7\","
          + "\"amount\":0.7,\"tags\":[\"a\",\"b\",\"c\"],\"pad\":\"xxxx\"}",
      "{}",
      " \n\t{ \"pad\" : \"p\" , \"id\" : -12 }\r\n ",
      "{\"user\":null,\"tags\":null,\"amount\":-0.0}",
      "{\"amount\":1e-7,\"tags\":[]}",
      "{\"amount\":123456789012345678,\"id\":123456789012345678}",
      "{\"amount\":1.7976931348623157E308}",
      "{\"amount\":4.9e-324}",
      "{\"amount\":0.1234567890123456789}",
      "{\"user\":\"\\u00e9\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"}",
      "{\"user\":\"h\u00e9llo w\u00f6rld \u4e16\u754c \ud83d\ude00\"}",
      "{\"tags\":[\"a\",null,\"\"]}",
    };
    FastJsonBinder<Event> binder = FastJsonBinder.forType(Event.class);
    assertThat(binder).isNotNull();
    for (String json : documents) {
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      Event fast = binder.bind(bytes);
      assertThat(fast).as("taken by the fast binder: %s", json).isNotNull();
      assertSameAsJackson(Event.class, bytes, fast);
    }
  }

  @Test
  void shouldBindNestedListsBoxesAndBaseClassFields() throws Exception {
    byte[] mixed =
        ("{\"count\":-2147483648,\"boxedCount\":null,\"boxedId\":9,\"id\":1,\"ratio\":3,"
                + "\"boxedRatio\":2.5,\"flag\":true,\"maybe\":false,\"text\":\"t\",\"longs\":[1,null,-3],"
                + "\"doubles\":[1.5,-2,null],\"ints\":[2147483647],\"bools\":[true,false,null],"
                + "\"strings\":[\"s\"],\"inner\":{\"name\":\"a\",\"n\":1,\"child\":{\"name\":\"b\"}},"
                + "\"inners\":[{\"n\":2},null,{}]}")
            .getBytes(StandardCharsets.UTF_8);
    Mixed fast = FastJsonBinder.forType(Mixed.class).bind(mixed);
    assertThat(fast).isNotNull();
    assertThat(fast.inner.child.name).isEqualTo("b");
    assertSameAsJackson(Mixed.class, mixed, fast);

    byte[] derived = "{\"region\":\"eu\",\"total\":5}".getBytes(StandardCharsets.UTF_8);
    Derived d = FastJsonBinder.forType(Derived.class).bind(derived);
    assertThat(d.region).isEqualTo("eu");
    assertSameAsJackson(Derived.class, derived, d);
  }

  @Test
  void shouldLeaveClassesJacksonBindsDifferentlyToJackson() {
    for (Class<?> type :
        List.of(
            WithSetter.class,
            WithPrivateSetter.class,
            Lenient.class,
            Renamed.class,
            WithFinal.class,
            WithMap.class,
            WithRawList.class,
            WithInstant.class,
            NoDefaultConstructor.class,
            AsRecord.class,
            WithBadNested.class,
            ImplementsAnnotated.class,
            ListLike.class,
            WithConstructorProperties.class,
            MapLike.class,
            ErrorLike.class,
            IterableLike.class,
            String.class,
            List.class)) {
      assertThat(FastJsonBinder.forType(type)).as(type.getSimpleName()).isNull();
    }
  }

  @Test
  void shouldDeclineWhatJacksonCoercesRefusesOrReadsItsOwnWay() {
    String[] declined = {
      "{\"id\":\"12\"}", // a string coerced into a long
      "{\"id\":1.0}", // a float coerced into a long
      "{\"id\":1e3}",
      "{\"id\":null}", // null for a primitive: Jackson's error
      "{\"id\":007}", // leading zeros: Jackson's error
      "{\"id\":1234567890123456789}", // 19 digits
      "{\"amount\":-0}", // an integer -0: Jackson reads 0 first
      "{\"amount\":NaN}",
      "{\"user\":5}", // a number coerced into a String
      "{\"user\":{\"a\":1}}",
      "{\"user\":\"tab\there\"}", // an unescaped control character
      "{\"user\":\"\\x\"}", // an unknown escape
      "{\"tags\":\"a\"}", // a single value for a list
      "{\"unknown\":1}",
      "{\"id\":1,\"id\":2}", // a key twice
      "{\"id\":1,}",
      "{'id':1}",
      "{id:1}",
      "{\"id\":1} trailing",
      "{\"id\":1}{\"id\":2}",
      "{\"id\":1",
      "{\"user\":\"unterminated",
      "[1,2]",
      "null",
      "   ",
      "{/*c*/\"id\":1}",
      "\ufeff{\"id\":1}",
    };
    FastJsonBinder<Event> binder = FastJsonBinder.forType(Event.class);
    for (String json : declined) {
      assertThat(binder.bind(json.getBytes(StandardCharsets.UTF_8))).as(json).isNull();
    }
    byte[] invalidUtf8 = {
      '{', '"', 'u', 's', 'e', 'r', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'
    };
    assertThat(binder.bind(invalidUtf8)).isNull();
    byte[] encodedSurrogate = {
      '{', '"', 'p', 'a', 'd', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'
    };
    assertThat(binder.bind(encodedSurrogate)).isNull();
  }

  @Test
  void shouldReportJacksonsErrorsThroughTheDecoder() {
    RecordDecoder<Event> decoder = RecordDecoder.json(Event.class);
    assertThatThrownBy(() -> decoder.decode(record("{\"id\":1,\"color\":\"red\"}")))
        .hasMessageContaining("Unrecognized field \"color\"");
    assertThatThrownBy(() -> decoder.decode(record("{\"id\":null}")))
        .hasMessageContaining("Cannot map `null` into type `long`");
    assertThatThrownBy(() -> decoder.decode(record("{\"id\":1")))
        .hasMessageContaining("end-of-input");
    assertThatThrownBy(() -> decoder.decode(record("null"))).hasMessageContaining("JSON null");
  }

  @Test
  void shouldLetAConstructorsFailureReachTheCallerThroughJackson() {
    FastJsonBinder<ThrowingConstructor> binder = FastJsonBinder.forType(ThrowingConstructor.class);
    assertThat(binder).isNotNull();
    assertThat(binder.bind("{\"id\":1}".getBytes(StandardCharsets.UTF_8))).isNull();
    RecordDecoder<ThrowingConstructor> decoder = RecordDecoder.json(ThrowingConstructor.class);
    assertThatThrownBy(() -> decoder.decode(record("{\"id\":1}")))
        .hasStackTraceContaining("constructor refused");
  }

  @Test
  void shouldNeverBindAGeneratedOrMutatedDocumentDifferentlyFromJackson() throws Exception {
    Random random = new Random(20261126);
    FastJsonBinder<Mixed> binder = FastJsonBinder.forType(Mixed.class);
    int taken = 0;
    int mutatedTaken = 0;
    int documents = 60_000;
    for (int i = 0; i < documents; i++) {
      byte[] doc = new DocumentGenerator(random).mixed().getBytes(StandardCharsets.UTF_8);
      Mixed fast = binder.bind(doc);
      if (fast != null) {
        taken++;
        assertSameAsJackson(Mixed.class, doc, fast);
      }
      for (int m = 0; m < 4; m++) {
        byte[] mutated = mutate(doc, random);
        Mixed fromMutated = binder.bind(mutated);
        if (fromMutated != null) {
          mutatedTaken++;
          assertSameAsJackson(Mixed.class, mutated, fromMutated);
        }
      }
    }
    System.out.printf(
        "fast binder took %d of %d generated and %d of %d mutated documents%n",
        taken, documents, mutatedTaken, documents * 4);
    // the generator mostly writes documents the fast binder takes, so the comparison has teeth
    assertThat(taken).isGreaterThan(documents / 3);
    assertThat(mutatedTaken).isGreaterThan(documents / 20);
  }

  private static <T> void assertSameAsJackson(Class<T> type, byte[] doc, T fast) {
    String text = new String(doc, StandardCharsets.UTF_8);
    ObjectReader reader = JACKSON.readerFor(type);
    T jackson;
    try {
      jackson = reader.readValue(doc);
    } catch (Exception e) {
      throw new AssertionError("fast binder took what Jackson refuses: " + text + " -> " + e, e);
    }
    JsonNode expected = JACKSON.valueToTree(jackson);
    JsonNode actual = JACKSON.valueToTree(fast);
    assertThat(actual).as("bound from %s", text).isEqualTo(expected);
  }

  private static byte[] mutate(byte[] doc, Random random) {
    byte[] pool = "{}[]\",:\\ -+.0123456789eEnultrfase\u00e9".getBytes(StandardCharsets.UTF_8);
    List<Byte> bytes = new ArrayList<>();
    for (byte b : doc) {
      bytes.add(b);
    }
    int edits = 1 + random.nextInt(3);
    for (int e = 0; e < edits && !bytes.isEmpty(); e++) {
      int at = random.nextInt(bytes.size());
      byte b =
          random.nextInt(8) == 0 ? (byte) random.nextInt(256) : pool[random.nextInt(pool.length)];
      switch (random.nextInt(4)) {
        case 0 -> bytes.remove(at);
        case 1 -> bytes.add(at, b);
        case 2 -> bytes.set(at, b);
        default -> bytes.subList(at, bytes.size()).clear();
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return out;
  }

  private static SourceRecord record(String json) {
    return new SourceRecord(
        "persistent://public/default/t",
        MessageId.earliest,
        null,
        json.getBytes(StandardCharsets.UTF_8),
        1,
        0,
        null);
  }

  /**
   * Random documents for {@link Mixed}: mostly well-formed, with every kind of oddity now and then.
   */
  private static final class DocumentGenerator {
    private final Random random;
    private final StringBuilder out = new StringBuilder();

    DocumentGenerator(Random random) {
      this.random = random;
    }

    String mixed() {
      ws();
      object(0);
      ws();
      return out.toString();
    }

    private void object(int depth) {
      String[][] fields = {
        {"count", "int"},
        {"boxedCount", "int?"},
        {"boxedId", "long?"},
        {"id", "long"},
        {"ratio", "double"},
        {"boxedRatio", "double?"},
        {"flag", "bool"},
        {"maybe", "bool?"},
        {"text", "string"},
        {"longs", "list:long?"},
        {"doubles", "list:double?"},
        {"ints", "list:int?"},
        {"bools", "list:bool?"},
        {"strings", "list:string"},
        {"inner", "inner"},
        {"inners", "list:inner"},
      };
      List<String[]> order = new ArrayList<>(List.of(depth > 0 ? INNER_FIELDS : fields));
      java.util.Collections.shuffle(order, random);
      if (random.nextInt(30) == 0) {
        order.add(random.nextInt(order.size()), new String[] {"unknown", "int"});
      }
      if (random.nextInt(30) == 0) {
        order.add(random.nextInt(order.size()), order.get(random.nextInt(order.size())));
      }
      out.append('{');
      int n = random.nextInt(order.size() + 1);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          ws();
          out.append(',');
        }
        ws();
        String[] field = order.get(i);
        out.append('"').append(field[0]).append('"');
        ws();
        out.append(':');
        ws();
        value(field[1], depth);
      }
      ws();
      out.append('}');
    }

    private static final String[][] INNER_FIELDS = {
      {"name", "string"}, {"n", "long"}, {"child", "inner"}
    };

    private void value(String kind, int depth) {
      if (random.nextInt(25) == 0) {
        // the wrong kind of value now and then
        String[] kinds = {"int", "long", "double", "bool", "string", "null", "list:long?"};
        kind = kinds[random.nextInt(kinds.length)];
      }
      if (kind.endsWith("?") || kind.equals("string") || kind.equals("inner")) {
        if (random.nextInt(6) == 0) {
          out.append("null");
          return;
        }
        kind = kind.replace("?", "");
      }
      if (kind.startsWith("list:")) {
        String element = kind.substring(5);
        out.append('[');
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            out.append(',');
          }
          ws();
          value(element, depth);
          ws();
        }
        out.append(']');
        return;
      }
      switch (kind) {
        case "int" -> out.append(integer(random.nextInt(8) == 0 ? 11 : 9));
        case "long" -> out.append(integer(random.nextInt(8) == 0 ? 20 : 18));
        case "double" -> out.append(decimal());
        case "bool" -> out.append(random.nextBoolean());
        case "string" -> string();
        case "null" -> out.append("null");
        case "inner" -> {
          if (depth > 3) {
            out.append("null");
          } else {
            object(depth + 1);
          }
        }
        default -> throw new IllegalStateException(kind);
      }
    }

    private String integer(int maxDigits) {
      int digits = 1 + random.nextInt(maxDigits);
      StringBuilder s = new StringBuilder(random.nextInt(4) == 0 ? "-" : "");
      for (int i = 0; i < digits; i++) {
        s.append(
            (char) ('0' + (i == 0 && digits > 1 ? 1 + random.nextInt(9) : random.nextInt(10))));
      }
      return s.toString();
    }

    private String decimal() {
      switch (random.nextInt(6)) {
        case 0:
          return Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
        case 1:
          return integer(19);
        case 2:
          return integer(8) + "." + integer(12).replace("-", "");
        case 3:
          return integer(3) + (random.nextBoolean() ? "e" : "E-") + random.nextInt(30);
        case 4:
          return Double.toString(Double.longBitsToDouble(random.nextLong()))
              .replace("Infinity", "1e999")
              .replace("NaN", "0.5");
        default:
          String[] odd = {
            "-0.0", "0", "0.0", "1e22", "1e23", "9007199254740993", "0.30000000000000004"
          };
          return odd[random.nextInt(odd.length)];
      }
    }

    private void string() {
      out.append('"');
      int n = random.nextInt(12);
      for (int i = 0; i < n; i++) {
        switch (random.nextInt(10)) {
          case 0 -> out.append('\\').append("\"\\/bfnrt".charAt(random.nextInt(8)));
          case 1 -> out.append(String.format("\\u%04x", random.nextInt(0x10000)));
          case 2 -> out.append((char) (0xA0 + random.nextInt(0x2000)));
          case 3 -> out.appendCodePoint(0x10000 + random.nextInt(0x1000));
          default -> out.append((char) (0x20 + random.nextInt(0x5F)));
        }
      }
      // a raw '"' or '\' from the ASCII range above ends or breaks the string: fine, Jackson judges
      out.append('"');
    }

    private void ws() {
      if (random.nextInt(5) == 0) {
        out.append(" \t\n\r".charAt(random.nextInt(4)));
      }
    }
  }
}
