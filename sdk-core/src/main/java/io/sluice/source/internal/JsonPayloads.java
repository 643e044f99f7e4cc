package io.sluice.source.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sluice.errors.SchemaViolationException;
import java.io.IOException;
import java.util.List;

/**
 * Parsing, checking and binding of JSON payloads for the schema-checking decoders: one mapper for
 * all of them (Jackson mappers and readers are thread-safe once configured), strict about what a
 * record may be (one JSON value, nothing after it, no empty payload).
 */
public final class JsonPayloads {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private JsonPayloads() {}

  /** The mapper schema documents are read with. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** A reader binding trees to {@code type} (same rules as {@code RecordDecoder.json}). */
  public static ObjectReader readerFor(Class<?> type) {
    return MAPPER.readerFor(type);
  }

  /** The payload as a JSON tree; an empty payload (or a null message value) is an error. */
  public static JsonNode parse(byte[] payload) throws IOException {
    if (payload.length == 0) {
      throw new IllegalArgumentException("empty payload: expected a JSON document");
    }
    return MAPPER.readTree(payload);
  }

  /** Throws naming {@code schemaName} and every violation when {@code tree} does not match. */
  public static void check(JsonValidator validator, String schemaName, JsonNode tree) {
    List<String> violations = validator.violations(tree);
    if (!violations.isEmpty()) {
      throw new SchemaViolationException(schemaName, violations);
    }
  }

  /** Binds a checked tree; a JSON null is refused (decoders never yield null). */
  public static <T> T bind(ObjectReader reader, JsonNode tree, Class<T> type) throws IOException {
    if (tree.isNull()) {
      throw new IllegalArgumentException("JSON null: expected a " + type.getSimpleName());
    }
    return reader.readValue(tree);
  }
}
