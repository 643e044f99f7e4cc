package io.sluice.source.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;

class AvroJsonSchemasTest {
  /** A nested POJO as producers register it with Schema.JSON. */
  public static class Item {
    public String sku;
    public int qty;
  }

  /** A POJO with every shape Schema.JSON maps: primitives, boxed, nested, list, map, array. */
  public static class Order {
    public long id;
    public String user;
    public Double amount;
    public boolean paid;
    public List<Item> items;
    public Item first;
    public Map<String, Integer> tags;
    public int[] nums;
  }

  private static JsonValidator validatorFor(String avroDefinition) throws Exception {
    JsonNode avro = JsonPayloads.mapper().readTree(avroDefinition);
    return JsonValidator.compile("test", AvroJsonSchemas.toJsonSchema(avro));
  }

  private static List<String> check(JsonValidator v, String json) throws Exception {
    return v.violations(JsonPayloads.parse(json.getBytes()));
  }

  @Test
  void shouldCheckWhatSchemaJsonRegistersForAPojo() throws Exception {
    JsonValidator v = validatorFor(Schema.JSON(Order.class).getSchemaInfo().getSchemaDefinition());
    assertThat(
            check(
                v,
                "{\"id\":1,\"paid\":true,\"user\":null,\"amount\":2.5,"
                    + "\"items\":[{\"sku\":\"a\",\"qty\":1}],\"first\":{\"qty\":2},"
                    + "\"tags\":{\"x\":1},\"nums\":[1,2],\"unknown\":\"allowed\"}"))
        .isEmpty();
    assertThat(check(v, "{\"id\":1,\"paid\":false}")).isEmpty(); // nullable fields may be absent
    assertThat(check(v, "{\"paid\":true}"))
        .containsExactly("/id: required property 'id' not found (rule required)");
    assertThat(check(v, "{\"id\":null,\"paid\":true}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/id: null found, integer expected"));
    assertThat(check(v, "{\"id\":\"7\",\"paid\":true}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/id: string found, integer expected"));
    assertThat(check(v, "{\"id\":1,\"paid\":true,\"items\":[{\"sku\":\"a\"}]}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/items/0/qty: required property"));
    assertThat(check(v, "{\"id\":1,\"paid\":true,\"first\":{\"qty\":3000000000}}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/first/qty: must have a maximum value"));
    assertThat(check(v, "{\"id\":1,\"paid\":true,\"tags\":{\"x\":\"one\"}}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/tags/x: string found, integer expected"));
    assertThat(check(v, "{\"id\":1,\"paid\":true,\"amount\":\"2.5\"}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/amount: string found, [null, number] expected"));
    assertThat(check(v, "[1]")).singleElement().satisfies(s -> assertThat(s).startsWith("(root)"));
  }

  @Test
  void shouldCheckRecursiveRecordsEnumsUnionsAndDefaults() throws Exception {
    JsonValidator v =
        validatorFor(
            "{\"type\":\"record\",\"name\":\"Node\",\"namespace\":\"t\",\"fields\":["
                + "{\"name\":\"color\",\"type\":{\"type\":\"enum\",\"name\":\"Color\","
                + "\"symbols\":[\"RED\",\"BLUE\"]}},"
                + "{\"name\":\"weight\",\"type\":\"int\",\"default\":1},"
                + "{\"name\":\"label\",\"type\":[\"string\",\"long\"]},"
                + "{\"name\":\"next\",\"type\":[\"null\",\"Node\"],\"default\":null},"
                + "{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}}"
                + "]}");
    assertThat(
            check(
                v,
                "{\"color\":\"RED\",\"label\":\"a\",\"at\":5,"
                    + "\"next\":{\"color\":\"BLUE\",\"label\":3,\"at\":6,\"weight\":2}}"))
        .isEmpty();
    assertThat(check(v, "{\"color\":\"GREEN\",\"label\":\"a\",\"at\":5}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/color: ").contains("rule enum"));
    assertThat(check(v, "{\"color\":\"RED\",\"label\":true,\"at\":5}"))
        .singleElement()
        .satisfies(s -> assertThat(s).startsWith("/label: boolean found, [string, integer]"));
    assertThat(check(v, "{\"color\":\"RED\",\"label\":\"a\",\"at\":5,\"next\":{\"label\":1}}"))
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s).startsWith("/next"))
        .anySatisfy(s -> assertThat(s).contains("color"));
  }

  @Test
  void shouldRefuseWhatIsNotAnAvroSchema() throws Exception {
    assertThatThrownBy(() -> validatorFor("{\"type\":\"record\",\"name\":\"R\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without \"fields\"");
    assertThatThrownBy(
            () ->
                validatorFor(
                    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"Nope\"}]}"))
        .hasMessageContaining("unknown Avro type name Nope");
  }
}
