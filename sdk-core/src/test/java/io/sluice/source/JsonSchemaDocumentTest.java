package io.sluice.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.errors.SchemaViolationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.pulsar.client.api.MessageId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonSchemaDocumentTest {
  @TempDir Path dir;

  /** What the order schema binds to. */
  public record Item(String sku, int qty) {}

  /** What the order schema binds to. */
  public record Order(long id, double amount, String customer, List<Item> items) {}

  private static final JsonSchemaDocument ORDERS =
      JsonSchemaDocument.fromResource("schemas/order.schema.json");

  static SourceRecord record(String json) {
    return new SourceRecord(
        "persistent://public/default/orders-partition-0",
        MessageId.earliest,
        null,
        json == null ? null : json.getBytes(StandardCharsets.UTF_8),
        1L,
        0L,
        null);
  }

  @Test
  void shouldBindARecordThatMatchesTheSchema() throws Exception {
    Order order =
        ORDERS
            .decoder(Order.class)
            .decode(record("{\"id\":7,\"amount\":2.5,\"items\":[{\"sku\":\"a\",\"qty\":2}]}"));
    assertThat(order).isEqualTo(new Order(7, 2.5, null, List.of(new Item("a", 2))));
  }

  @Test
  void shouldYieldTheTreeOfAMatchingRecord() throws Exception {
    JsonNode tree =
        ORDERS.treeDecoder().decode(record("{\"id\":7,\"amount\":0,\"items\":[],\"extra\":true}"));
    assertThat(tree.get("extra").asBoolean()).isTrue();
  }

  @Test
  void shouldNameThePointerAndRuleOfAMissingRequiredField() {
    assertThatThrownBy(() -> ORDERS.decoder(Order.class).decode(record("{\"id\":7,\"items\":[]}")))
        .isInstanceOf(SchemaViolationException.class)
        .hasMessageContaining("classpath:schemas/order.schema.json")
        .hasMessageContaining("/amount: required property 'amount' not found (rule required)");
  }

  @Test
  void shouldNameEveryViolationWithItsPointer() {
    assertThatThrownBy(
            () ->
                ORDERS
                    .treeDecoder()
                    .decode(
                        record(
                            "{\"id\":\"x\",\"amount\":-1,\"items\":[{\"sku\":\"a\",\"qty\":0},"
                                + " {\"qty\":1}]}")))
        .isInstanceOfSatisfying(
            SchemaViolationException.class,
            e ->
                assertThat(e.violations())
                    .anySatisfy(v -> assertThat(v).startsWith("/id:").contains("rule type"))
                    .anySatisfy(v -> assertThat(v).startsWith("/amount:").contains("rule minimum"))
                    .anySatisfy(v -> assertThat(v).startsWith("/items/0/qty:"))
                    .anySatisfy(v -> assertThat(v).startsWith("/items/1/sku:")));
  }

  @Test
  void shouldRefuseMalformedEmptyNullAndTrailingPayloads() {
    RecordDecoder<Order> decoder = ORDERS.decoder(Order.class);
    assertThatThrownBy(() -> decoder.decode(record("{\"id\":7,")))
        .hasMessageContaining("Unexpected end-of-input");
    assertThatThrownBy(() -> decoder.decode(record(null))).hasMessageContaining("empty payload");
    assertThatThrownBy(() -> decoder.decode(record("null")))
        .isInstanceOf(SchemaViolationException.class)
        .hasMessageContaining("(root): null found, object expected (rule type)");
    assertThatThrownBy(
            () -> decoder.decode(record("{\"id\":7,\"amount\":1,\"items\":[]} {\"id\":8}")))
        .hasMessageContaining("Trailing token");
  }

  @Test
  void shouldRejectAnInvalidSchemaDocumentNamingIt() throws Exception {
    Path file = dir.resolve("bad.schema.json");
    Files.writeString(file, "{\"type\":\"objekt\",\"required\":\"id\"}");
    assertThatThrownBy(() -> JsonSchemaDocument.fromFile(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("is not a valid JSON Schema document")
        .hasMessageContaining("/type")
        .hasMessageContaining("/required");
    Files.writeString(file, "{\"type\":");
    assertThatThrownBy(() -> JsonSchemaDocument.fromFile(file))
        .hasMessageContaining(file + " is not valid JSON");
    assertThatThrownBy(() -> JsonSchemaDocument.fromFile(dir.resolve("missing.json")))
        .hasMessageContaining("Cannot read the JSON Schema file")
        .hasMessageContaining("missing.json");
    assertThatThrownBy(() -> JsonSchemaDocument.fromResource("schemas/nope.json"))
        .hasMessageContaining("No JSON Schema resource schemas/nope.json on the class path");
  }

  @Test
  void shouldHonourTheDeclaredDraft() throws Exception {
    JsonSchemaDocument draft7 =
        JsonSchemaDocument.fromString(
            "v7",
            "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
                + "\"properties\":{\"n\":{\"type\":\"integer\",\"exclusiveMaximum\":10}}}");
    assertThat(draft7.treeDecoder().decode(record("{\"n\":9}")).get("n").asInt()).isEqualTo(9);
    assertThatThrownBy(() -> draft7.treeDecoder().decode(record("{\"n\":10}")))
        .hasMessageContaining("/n:")
        .hasMessageContaining("rule exclusiveMaximum");
  }

  @Test
  void shouldDecodeOnManyThreadsAtOnce() throws Exception {
    RecordDecoder<Order> decoder = ORDERS.decoder(Order.class);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  int bad = 0;
                  for (int i = 0; i < 2000; i++) {
                    long id = thread * 100_000L + i;
                    String json =
                        i % 10 == 0
                            ? "{\"id\":" + id + ",\"items\":[]}"
                            : "{\"id\":" + id + ",\"amount\":1,\"items\":[]}";
                    try {
                      assertThat(decoder.decode(record(json)).id()).isEqualTo(id);
                    } catch (SchemaViolationException e) {
                      assertThat(e.getMessage()).contains("/amount");
                      bad++;
                    }
                  }
                  return bad;
                }));
      }
      for (Future<Integer> r : results) {
        assertThat(r.get()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldRefuseNulls() {
    assertThatThrownBy(() -> JsonSchemaDocument.fromFile(null)).hasMessage("file must not be null");
    assertThatThrownBy(() -> JsonSchemaDocument.fromResource(null))
        .hasMessage("resource must not be null");
    assertThatThrownBy(() -> ORDERS.decoder(null)).hasMessage("type must not be null");
  }
}
