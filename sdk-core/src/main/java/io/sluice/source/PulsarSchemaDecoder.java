package io.sluice.source;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.source.internal.AvroJsonSchemas;
import io.sluice.source.internal.JsonPayloads;
import io.sluice.source.internal.JsonValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;

/**
 * Decodes each topic's records against the JSON schema registered for that topic in Pulsar's schema
 * registry: hundreds of topics with different schemas in one job, no schema files to ship. A record
 * that is not JSON, is empty, or does not match its topic's schema (a required field missing, a
 * wrong type, null where the schema does not allow it, ...) goes to the source's {@link
 * BadRecordPolicy} with a {@link SchemaViolationException} naming the JSON pointer and the rule.
 *
 * <pre>{@code
 * app.stream(PulsarSource.topicsMatching("persistent://public/default/events-.*")
 *                .deadLetterTo("events-dlq"),
 *            PulsarSchemaDecoder.tree())                 // each topic's own registered schema
 *    .map(event -> event.get("user").asText());
 *
 * app.stream(PulsarSource.topics("orders"), PulsarSchemaDecoder.bind(Order.class));
 * }</pre>
 *
 * <p>A topic's schema is read when the app starts (a topic without a JSON schema fails the start,
 * naming the fix) or, for a topic found later, at its first record; a new schema version is picked
 * up on restart. How schemas are translated, fetched and retried is in the package doc of {@code
 * io.sluice.source.internal}.
 *
 * <p>Thread-safe: one instance serves every reader thread of its sources. It needs a running app
 * (it is opened with the app's admin client); the {@link io.sluice.testing.TestDriver} does not
 * open decoders, so use {@link JsonSchemaDocument} or {@link RecordDecoder#json} there.
 */
public final class PulsarSchemaDecoder<T> implements RecordDecoder<T> {
  private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long FETCH_PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Class<T> type;
  private final ObjectReader reader;
  private final Map<String, TopicSchema> topics = new ConcurrentHashMap<>();
  private final Map<String, JsonValidator> compiled = new ConcurrentHashMap<>();
  private volatile DecoderContext context;

  /** What is known of one topic: its validator, or why it has none (and since when). */
  private record TopicSchema(JsonValidator validator, String name, String problem, long atNanos) {}

  private PulsarSchemaDecoder(Class<T> type) {
    this.type = type;
    this.reader = type == JsonNode.class ? null : JsonPayloads.readerFor(type);
  }

  /** Checked records as Jackson trees (do not modify them). */
  public static PulsarSchemaDecoder<JsonNode> tree() {
    return new PulsarSchemaDecoder<>(JsonNode.class);
  }

  /** Checked records bound to {@code type} with Jackson (after the schema check). */
  public static <T> PulsarSchemaDecoder<T> bind(Class<T> type) {
    Objects.requireNonNull(type, "type must not be null");
    return new PulsarSchemaDecoder<>(type);
  }

  /** Fetches and compiles the schemas of the source's topics; fails naming every unusable one. */
  @Override
  public void open(DecoderContext context) {
    Objects.requireNonNull(context, "context must not be null");
    this.context = context;
    if (context.topics().isEmpty()) {
      return; // a pattern that matches nothing yet: every topic comes through discovery
    }
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Optional<SchemaInfo>> e :
        context.registeredSchemas(context.topics()).entrySet()) {
      TopicSchema schema = resolve(e.getKey(), e.getValue());
      topics.put(e.getKey(), schema);
      if (schema.problem() != null) {
        problems.add(schema.problem());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(
          "PulsarSchemaDecoder cannot decode "
              + problems.size()
              + " topic(s) of app "
              + context.appName()
              + ": "
              + String.join(" | ", problems));
    }
  }

  @Override
  public T decode(SourceRecord record) throws Exception {
    TopicSchema schema = schemaOf(record.topic());
    if (schema.problem() != null) {
      throw new IllegalArgumentException(schema.problem());
    }
    JsonNode tree = JsonPayloads.parse(record.value());
    JsonPayloads.check(schema.validator(), schema.name(), tree);
    if (reader == null) {
      return type.cast(tree);
    }
    return JsonPayloads.bind(reader, tree, type);
  }

  private TopicSchema schemaOf(String topic) {
    TopicSchema known = topics.get(topic);
    if (known != null
        && (known.problem() == null || System.nanoTime() - known.atNanos() < RETRY_NANOS)) {
      return known;
    }
    DecoderContext ctx = context;
    if (ctx == null) {
      throw new IllegalStateException(
          "PulsarSchemaDecoder was not opened: it reads schemas from the Pulsar schema registry"
              + " and works only in a running Sluice app (in the TestDriver, use"
              + " JsonSchemaDocument or RecordDecoder.json)");
    }
    // Two reader threads may fetch a new topic's schema at once; both results are the same.
    TopicSchema fetched = resolve(topic, fetchPatiently(ctx, topic));
    topics.put(topic, fetched);
    return fetched;
  }

  /**
   * The registry's answer for a topic, retried for up to {@link #FETCH_PATIENCE_NANOS} while the
   * admin API fails: an outage of the admin API is not a bad record, and a record skipped or
   * dead-lettered for it would be lost to the stream. Meanwhile this partition's reading waits.
   */
  private static Optional<SchemaInfo> fetchPatiently(DecoderContext ctx, String topic) {
    long deadline = System.nanoTime() + FETCH_PATIENCE_NANOS;
    long backoffMillis = 100;
    while (true) {
      try {
        return ctx.registeredSchemas(List.of(topic)).get(topic);
      } catch (SourceException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoffMillis = Math.min(backoffMillis * 2, 5000);
      }
    }
  }

  private TopicSchema resolve(String topic, Optional<SchemaInfo> info) {
    long now = System.nanoTime();
    if (info == null || info.isEmpty()) {
      return new TopicSchema(
          null,
          null,
          "topic "
              + topic
              + " has no schema in the Pulsar schema registry; register a JSON schema (a producer"
              + " with Schema.JSON(YourClass.class), or pulsar-admin schemas upload) or decode"
              + " this topic with RecordDecoder.json / JsonSchemaDocument (TopicDecoders routes"
              + " topics to decoders)",
          now);
    }
    SchemaInfo schema = info.get();
    if (schema.getType() != SchemaType.JSON) {
      return new TopicSchema(
          null,
          null,
          "topic "
              + topic
              + " has a "
              + schema.getType()
              + " schema in the Pulsar schema registry, but PulsarSchemaDecoder reads JSON schemas"
              + " only; decode this topic with a decoder for "
              + schema.getType()
              + " (TopicDecoders routes topics to decoders)",
          now);
    }
    String definition = schema.getSchemaDefinition();
    try {
      JsonValidator validator =
          compiled.computeIfAbsent(definition, d -> compile(topic, d)); // one per distinct schema
      return new TopicSchema(validator, "the Pulsar JSON schema of " + topic, null, now);
    } catch (IllegalArgumentException e) {
      return new TopicSchema(
          null,
          null,
          "the JSON schema of topic "
              + topic
              + " in the Pulsar schema registry cannot be used: "
              + e.getMessage(),
          now);
    }
  }

  private static JsonValidator compile(String topic, String definition) {
    JsonNode avro;
    try {
      avro = JsonPayloads.mapper().readTree(definition);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "its definition is not JSON: " + e.getOriginalMessage(), e);
    }
    return JsonValidator.compile(
        "Pulsar JSON schema of " + topic, AvroJsonSchemas.toJsonSchema(avro));
  }

  @Override
  public String toString() {
    return "PulsarSchemaDecoder{" + type.getSimpleName() + ", " + topics.size() + " topics}";
  }
}
