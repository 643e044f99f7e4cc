package io.sluice.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.SchemaViolationException;
import io.sluice.errors.SourceException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;
import org.junit.jupiter.api.Test;

/**
 * What {@link PulsarSchemaDecoder} does around the registry; its work against the real registry is
 * in {@code PulsarSchemaDecoderIT}. Here a fake registry (a {@link DecoderContext} over a map) lets
 * the tests make the admin API fail on purpose.
 */
class PulsarSchemaDecoderTest {
  private static final String TOPIC = "persistent://public/default/fake";
  private static final SchemaInfo ID_REQUIRED =
      SchemaInfo.builder()
          .name("E")
          .type(SchemaType.JSON)
          .schema(
              "{\"type\":\"record\",\"name\":\"E\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"
                  .getBytes(StandardCharsets.UTF_8))
          .properties(Map.of())
          .build();

  /** A registry holding {@link #ID_REQUIRED} for every topic, failing the first calls. */
  static final class FlakyRegistry implements DecoderContext {
    final AtomicInteger calls = new AtomicInteger();
    final int failures;

    FlakyRegistry(int failures) {
      this.failures = failures;
    }

    @Override
    public String appName() {
      return "test";
    }

    @Override
    public Set<String> topics() {
      return Set.of();
    }

    @Override
    public Map<String, Optional<SchemaInfo>> registeredSchemas(Collection<String> topics) {
      if (calls.incrementAndGet() <= failures) {
        throw new SourceException("admin API down (call " + calls.get() + ")");
      }
      Map<String, Optional<SchemaInfo>> out = new LinkedHashMap<>();
      topics.forEach(t -> out.put(t, Optional.of(ID_REQUIRED)));
      return out;
    }
  }

  private static SourceRecord record(String partition, String json) {
    return new SourceRecord(
        partition, MessageId.earliest, null, json.getBytes(StandardCharsets.UTF_8), 1L, 0L, null);
  }

  @Test
  void shouldWaitOutAnAdminOutageForANewTopicInsteadOfFailingTheRecord() throws Exception {
    FlakyRegistry registry = new FlakyRegistry(2);
    PulsarSchemaDecoder<com.fasterxml.jackson.databind.JsonNode> decoder =
        PulsarSchemaDecoder.tree();
    decoder.open(registry); // no topics at start: all found by discovery later
    assertThat(decoder.decode(record(TOPIC + "-partition-0", "{\"id\":1}")).get("id").asInt())
        .isEqualTo(1);
    assertThat(registry.calls.get()).isEqualTo(3);
    // the topic's other partitions use the schema already fetched
    assertThat(decoder.decode(record(TOPIC + "-partition-1", "{\"id\":2}")).get("id").asInt())
        .isEqualTo(2);
    assertThat(registry.calls.get()).isEqualTo(3);
    assertThatThrownBy(() -> decoder.decode(record(TOPIC + "-partition-1", "{}")))
        .isInstanceOf(SchemaViolationException.class)
        .hasMessageContaining("/id: required property 'id' not found");
  }

  @Test
  void shouldExplainThatItNeedsARunningApp() {
    assertThatThrownBy(() -> PulsarSchemaDecoder.tree().decode(record(TOPIC, "{\"id\":1}")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PulsarSchemaDecoder was not opened")
        .hasMessageContaining("JsonSchemaDocument");
    assertThatThrownBy(() -> PulsarSchemaDecoder.bind(null)).hasMessage("type must not be null");
  }
}
