package io.sluice.source.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A JSON Schema document compiled once (networknt json-schema-validator) and checked per record.
 *
 * <p>Thread-safe: the compiled schema is immutable once its validators are initialised, which
 * happens here, eagerly, so the reader threads that call {@link #violations} concurrently never
 * race on lazy initialisation. Every {@code $ref} is resolved at compile time too.
 */
public final class JsonValidator {
  /** At most this many violations are named in one reason; the rest are counted. */
  static final int MAX_REPORTED = 5;

  /** Holds only the bundled meta-schemas, compiled once each. */
  private static final SchemaRegistry META_REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private static final Map<String, Schema> META_SCHEMAS = new ConcurrentHashMap<>();

  private final String name;
  private final Schema schema;

  private JsonValidator(String name, Schema schema) {
    this.name = name;
    this.schema = schema;
  }

  /**
   * Compiles {@code document}, first checking it against its dialect's meta-schema (draft 2020-12
   * unless {@code $schema} names another known draft), so a typo such as {@code "type": "objekt"}
   * is an error at load instead of a schema that silently accepts everything.
   *
   * @param name how errors name the document (a file, a resource, a topic)
   * @throws IllegalArgumentException naming the document and every problem found
   */
  public static JsonValidator compile(String name, JsonNode document) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(document, "document must not be null");
    if (!document.isObject() && !document.isBoolean()) {
      throw new IllegalArgumentException(
          "JSON Schema " + name + " must be a JSON object (or true/false), not " + document);
    }
    List<String> metaViolations = metaSchemaViolations(document);
    if (!metaViolations.isEmpty()) {
      throw new IllegalArgumentException(
          "JSON Schema "
              + name
              + " is not a valid JSON Schema document: "
              + String.join("; ", metaViolations)
              + ". Fix the schema document.");
    }
    try {
      // A registry per document: two documents with the same $id must not see each other.
      Schema schema =
          SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(document);
      schema.initializeValidators();
      return new JsonValidator(name, schema);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "JSON Schema " + name + " cannot be compiled: " + e.getMessage(), e);
    }
  }

  private static List<String> metaSchemaViolations(JsonNode document) {
    if (!document.isObject()) {
      return List.of();
    }
    JsonNode declared = document.get("$schema");
    String dialect = SpecificationVersion.DRAFT_2020_12.getDialectId();
    if (declared != null) {
      dialect = null;
      for (SpecificationVersion v : SpecificationVersion.values()) {
        if (stripHash(v.getDialectId()).equals(stripHash(declared.asText()))) {
          dialect = v.getDialectId();
        }
      }
      if (dialect == null) {
        return List.of(); // a custom dialect: no bundled meta-schema to check it against
      }
    }
    Schema meta =
        META_SCHEMAS.computeIfAbsent(
            dialect,
            id -> {
              Schema m = META_REGISTRY.getSchema(SchemaLocation.of(id));
              m.initializeValidators();
              return m;
            });
    return describe(meta.validate(document));
  }

  private static String stripHash(String uri) {
    return uri.endsWith("#") ? uri.substring(0, uri.length() - 1) : uri;
  }

  /** The document's name, as errors show it. */
  public String name() {
    return name;
  }

  /**
   * What is wrong with {@code value}, one entry per violation, each naming the JSON pointer of the
   * offending (or missing) value and the rule, e.g. {@code /amount: required property 'amount' not
   * found (rule required)}. Empty when {@code value} is valid.
   */
  public List<String> violations(JsonNode value) {
    return describe(schema.validate(value));
  }

  private static List<String> describe(List<Error> errors) {
    List<String> out = new ArrayList<>(Math.min(errors.size(), MAX_REPORTED + 1));
    for (int i = 0; i < errors.size() && i < MAX_REPORTED; i++) {
      Error e = errors.get(i);
      String pointer = e.getInstanceLocation().toString();
      if ("required".equals(e.getKeyword()) && e.getProperty() != null) {
        pointer = pointer + "/" + e.getProperty().replace("~", "~0").replace("/", "~1");
      }
      out.add(
          (pointer.isEmpty() ? "(root)" : pointer)
              + ": "
              + e.getMessage()
              + " (rule "
              + e.getKeyword()
              + ")");
    }
    if (errors.size() > MAX_REPORTED) {
      out.add("and " + (errors.size() - MAX_REPORTED) + " more");
    }
    return out;
  }

  @Override
  public String toString() {
    return "JsonValidator{" + name + "}";
  }
}
