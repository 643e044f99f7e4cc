package io.sluice.errors;

import java.util.List;
import java.util.Objects;

/**
 * A payload is well-formed JSON but does not match its schema. Thrown by schema-checking decoders
 * ({@link JsonSchemaDocument}, {@link PulsarSchemaDecoder}) and handed, like every decoding
 * failure, to the source's {@link BadRecordPolicy}; its message (which the FAIL error and the
 * dead-letter property {@code sluice.error} carry) names the schema and, per violation, the JSON
 * pointer of the offending or missing value and the rule it breaks, e.g.
 *
 * <pre>
 * does not match JSON Schema orders.schema.json: /amount: required property 'amount' not found (rule required)
 * </pre>
 */
public class SchemaViolationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String schema;
  private final List<String> violations;

  public SchemaViolationException(String schema, List<String> violations) {
    super(
        "does not match "
            + Objects.requireNonNull(schema, "schema must not be null")
            + ": "
            + String.join("; ", Objects.requireNonNull(violations, "violations must not be null")));
    this.schema = schema;
    this.violations = List.copyOf(violations);
  }

  /** The schema the payload was checked against, e.g. {@code JSON Schema orders.schema.json}. */
  public String schema() {
    return schema;
  }

  /** One entry per violation (the first few; a last entry counts the rest). */
  public List<String> violations() {
    return violations;
  }
}
