package io.sluice.source;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.source.internal.JsonPayloads;
import io.sluice.source.internal.JsonValidator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A JSON Schema document (draft 2020-12 by default; {@code $schema} may name draft 4, 6, 7 or
 * 2019-09), compiled once, that makes decoders which check every record against it before binding.
 * A record that is not JSON, is empty, or breaks the schema goes to the source's {@link
 * BadRecordPolicy} with a {@link SchemaViolationException} naming the JSON pointer and the rule of
 * each violation.
 *
 * <pre>{@code
 * JsonSchemaDocument orderSchema = JsonSchemaDocument.fromResource("schemas/order.schema.json");
 * app.stream(PulsarSource.topics("orders").onBadRecord(BadRecordPolicy.SKIP),
 *            orderSchema.decoder(Order.class))          // checked, then bound with Jackson
 *    .filter(o -> o.amount() > 0);
 *
 * // or one schema per topic, as Jackson trees:
 * RecordDecoder<Object> decoder = TopicDecoders.builder()
 *     .topic("clicks", JsonSchemaDocument.fromFile(Path.of("/etc/etl/clicks.json")).treeDecoder())
 *     .topic("views", JsonSchemaDocument.fromFile(Path.of("/etc/etl/views.json")).treeDecoder())
 *     .build();
 * }</pre>
 *
 * <p>Loading checks the document against its draft's meta-schema and resolves every {@code $ref},
 * so a broken schema fails here, naming the document, instead of at the first record. The document
 * and its decoders are immutable and thread-safe (decoders run on several reader threads at once);
 * per record the cost is one parse, one validation walk and, for {@link #decoder}, one bind.
 */
public final class JsonSchemaDocument {
  private final String name;
  private final JsonValidator validator;

  private JsonSchemaDocument(String name, JsonValidator validator) {
    this.name = name;
    this.validator = validator;
  }

  /**
   * The document in {@code file}.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read, is not JSON or is not
   *     a valid JSON Schema
   */
  public static JsonSchemaDocument fromFile(Path file) {
    Objects.requireNonNull(file, "file must not be null");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read the JSON Schema file " + file + ": " + e, e);
    }
    return parse(file.toString(), bytes);
  }

  /**
   * The document at {@code resource} on the class path (of this class's loader, or the thread's
   * context loader), e.g. {@code "schemas/order.schema.json"}.
   *
   * @throws IllegalArgumentException naming the resource when it is missing or invalid
   */
  public static JsonSchemaDocument fromResource(String resource) {
    Objects.requireNonNull(resource, "resource must not be null");
    String path = resource.startsWith("/") ? resource.substring(1) : resource;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null || loader.getResource(path) == null) {
      loader = JsonSchemaDocument.class.getClassLoader();
    }
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "No JSON Schema resource "
                + resource
                + " on the class path: check the name (relative to the class path root, e.g."
                + " schemas/order.schema.json) and that it is packaged");
      }
      return parse("classpath:" + path, in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "Cannot read the JSON Schema resource " + resource + ": " + e, e);
    }
  }

  /**
   * A document given as text; {@code name} is how errors refer to it (e.g. the topic it is for).
   */
  public static JsonSchemaDocument fromString(String name, String json) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(json, "json must not be null");
    return parse(name, json.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonSchemaDocument parse(String name, byte[] bytes) {
    JsonNode document;
    try {
      document = JsonPayloads.mapper().readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "JSON Schema " + name + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read the JSON Schema " + name + ": " + e, e);
    }
    if (document == null || document.isMissingNode()) {
      throw new IllegalArgumentException("JSON Schema " + name + " is empty");
    }
    return new JsonSchemaDocument(name, JsonValidator.compile(name, document));
  }

  /** Where the document came from: a file path, {@code classpath:...}, or the given name. */
  public String name() {
    return name;
  }

  /** A decoder that checks each record and binds it to {@code type} with Jackson. */
  public <T> RecordDecoder<T> decoder(Class<T> type) {
    Objects.requireNonNull(type, "type must not be null");
    ObjectReader reader = JsonPayloads.readerFor(type);
    String schemaName = "JSON Schema " + name;
    return record -> {
      JsonNode tree = JsonPayloads.parse(record.value());
      JsonPayloads.check(validator, schemaName, tree);
      return JsonPayloads.bind(reader, tree, type);
    };
  }

  /** A decoder that checks each record and yields its Jackson tree (do not modify the tree). */
  public RecordDecoder<JsonNode> treeDecoder() {
    String schemaName = "JSON Schema " + name;
    return record -> {
      JsonNode tree = JsonPayloads.parse(record.value());
      JsonPayloads.check(validator, schemaName, tree);
      return tree;
    };
  }

  @Override
  public String toString() {
    return "JsonSchemaDocument{" + name + "}";
  }
}
