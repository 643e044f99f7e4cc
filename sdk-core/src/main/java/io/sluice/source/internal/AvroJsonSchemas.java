package io.sluice.source.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Translates the record definition Pulsar stores for a topic's JSON schema (an Avro schema written
 * in JSON, as {@code Schema.JSON(SomeClass.class)} registers it) into a JSON Schema (draft 2020-12)
 * document that checks the JSON records of that topic, so one validator engine serves both schema
 * sources.
 *
 * <p>Mapping: record → object with {@code properties} and {@code required}; a field is required
 * unless its type admits null or it has a default (Jackson writes absent and null alike); int →
 * integer within 32 bits; long → integer; float/double → number; string, bytes, fixed → string
 * (Jackson writes bytes as base64); boolean; null; enum → {@code enum} of its symbols; array →
 * {@code items}; map → {@code additionalProperties}; union → a list of types, or {@code anyOf} when
 * a member is a record, an enum or overlaps another (with null as {@code if null / else}, so errors
 * name what is wrong inside a nullable record); named types (records, enums, fixed) become {@code
 * $defs} referenced by full name, so nested and recursive records work. Extra properties are
 * allowed, as Avro's JSON readers allow them. Logical types check as their underlying type.
 */
public final class AvroJsonSchemas {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Set<String> PRIMITIVES =
      Set.of("null", "boolean", "int", "long", "float", "double", "bytes", "string");

  private final ObjectNode defs = NODES.objectNode();
  private final Set<String> named = new HashSet<>();

  private AvroJsonSchemas() {}

  /**
   * The JSON Schema document for {@code avro}.
   *
   * @throws IllegalArgumentException naming what is not a valid Avro schema
   */
  public static ObjectNode toJsonSchema(JsonNode avro) {
    Objects.requireNonNull(avro, "avro must not be null");
    AvroJsonSchemas translator = new AvroJsonSchemas();
    ObjectNode root = NODES.objectNode();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    ObjectNode body = translator.translate(avro, "");
    root.setAll(body);
    if (!translator.defs.isEmpty()) {
      root.set("$defs", translator.defs);
    }
    return root;
  }

  private ObjectNode translate(JsonNode type, String namespace) {
    if (type.isTextual()) {
      String name = type.asText();
      return PRIMITIVES.contains(name) ? primitive(name) : reference(name, namespace);
    }
    if (type.isArray()) {
      return union((ArrayNode) type, namespace);
    }
    if (!type.isObject() || !type.has("type")) {
      throw new IllegalArgumentException("not an Avro type: " + type);
    }
    JsonNode kind = type.get("type");
    if (!kind.isTextual()) {
      return translate(kind, namespace);
    }
    switch (kind.asText()) {
      case "record":
      case "error":
        return record(type, namespace);
      case "enum":
        return define(type, namespace, enumOf(type));
      case "fixed":
        return define(type, namespace, typed("string"));
      case "array":
        ObjectNode array = typed("array");
        array.set("items", translate(required(type, "items"), namespace));
        return array;
      case "map":
        ObjectNode map = typed("object");
        map.set("additionalProperties", translate(required(type, "values"), namespace));
        return map;
      default:
        return translate(kind, namespace); // a primitive with attributes, e.g. a logical type
    }
  }

  private static ObjectNode primitive(String name) {
    switch (name) {
      case "int":
        ObjectNode n = typed("integer");
        n.put("minimum", Integer.MIN_VALUE);
        n.put("maximum", Integer.MAX_VALUE);
        return n;
      case "long":
        return typed("integer");
      case "float":
      case "double":
        return typed("number");
      case "bytes":
        return typed("string");
      default:
        return typed(name); // null, boolean, string
    }
  }

  private ObjectNode record(JsonNode record, String namespace) {
    String fullName = fullName(record, namespace);
    String inner = fullName.contains(".") ? fullName.substring(0, fullName.lastIndexOf('.')) : "";
    named.add(fullName); // before the fields: a field may refer to its own record
    ObjectNode object = typed("object");
    ObjectNode properties = object.putObject("properties");
    ArrayNode requiredFields = NODES.arrayNode();
    JsonNode fields = required(record, "fields");
    if (!fields.isArray()) {
      throw new IllegalArgumentException("the fields of record " + fullName + " must be an array");
    }
    for (JsonNode field : fields) {
      String name = required(field, "name").asText();
      JsonNode fieldType = required(field, "type");
      properties.set(name, translate(fieldType, inner));
      if (!admitsNull(fieldType) && !field.has("default")) {
        requiredFields.add(name);
      }
    }
    if (!requiredFields.isEmpty()) {
      object.set("required", requiredFields);
    }
    defs.set(fullName, object);
    return reference(fullName, "");
  }

  private ObjectNode define(JsonNode type, String namespace, ObjectNode schema) {
    String fullName = fullName(type, namespace);
    named.add(fullName);
    defs.set(fullName, schema);
    return reference(fullName, "");
  }

  private static ObjectNode enumOf(JsonNode type) {
    ObjectNode e = NODES.objectNode();
    ArrayNode symbols = e.putArray("enum");
    required(type, "symbols").forEach(s -> symbols.add(s.asText()));
    return e;
  }

  private ObjectNode reference(String name, String namespace) {
    String fullName = name.contains(".") || namespace.isEmpty() ? name : namespace + "." + name;
    if (!named.contains(fullName)) {
      if (named.contains(name)) {
        fullName = name; // a name defined without a namespace
      } else {
        throw new IllegalArgumentException("unknown Avro type name " + name);
      }
    }
    ObjectNode ref = NODES.objectNode();
    ref.put("$ref", "#/$defs/" + fullName.replace("~", "~0").replace("/", "~1"));
    return ref;
  }

  /**
   * A union as a list of JSON types when its members are plain types that do not overlap (their
   * other keywords then only apply to their own type), else as {@code anyOf}.
   */
  private ObjectNode union(ArrayNode members, String namespace) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("an Avro union needs at least one type");
    }
    ObjectNode merged = NODES.objectNode();
    Set<String> types = new LinkedHashSet<>();
    boolean mergeable = true;
    ArrayNode anyOf = NODES.arrayNode();
    for (JsonNode member : members) {
      ObjectNode t = translate(member, namespace);
      anyOf.add(t);
      JsonNode typeName = t.get("type");
      if (typeName == null || !typeName.isTextual() || !types.add(typeName.asText())) {
        mergeable = false;
        continue;
      }
      for (Map.Entry<String, JsonNode> keyword : t.properties()) {
        if (!keyword.getKey().equals("type") && merged.has(keyword.getKey())) {
          mergeable = false;
        }
        merged.set(keyword.getKey(), keyword.getValue());
      }
    }
    if (types.contains("integer") && types.contains("number")) {
      mergeable = false;
    }
    if (!mergeable) {
      return nullOr(anyOf);
    }
    if (types.size() == 1) {
      merged.put("type", types.iterator().next());
    } else {
      ArrayNode list = merged.putArray("type");
      types.forEach(list::add);
    }
    return merged;
  }

  /**
   * {@code anyOf} of the members, except that a null member becomes "if null, valid; else the
   * rest": a nullable record then reports only what is wrong inside the record, not also that the
   * value is not null.
   */
  private static ObjectNode nullOr(ArrayNode members) {
    ArrayNode rest = NODES.arrayNode();
    boolean nullable = false;
    for (JsonNode m : members) {
      if (m.size() == 1 && "null".equals(m.path("type").asText())) {
        nullable = true;
      } else {
        rest.add(m);
      }
    }
    ObjectNode others;
    if (rest.size() == 1) {
      others = (ObjectNode) rest.get(0);
    } else {
      others = NODES.objectNode();
      others.set("anyOf", rest);
    }
    if (!nullable) {
      return others;
    }
    ObjectNode conditional = NODES.objectNode();
    conditional.set("if", typed("null"));
    conditional.set("else", others);
    return conditional;
  }

  private static boolean admitsNull(JsonNode type) {
    if (type.isTextual()) {
      return type.asText().equals("null");
    }
    if (type.isArray()) {
      for (JsonNode member : type) {
        if (admitsNull(member)) {
          return true;
        }
      }
      return false;
    }
    return type.isObject() && type.has("type") && admitsNull(type.get("type"));
  }

  private static String fullName(JsonNode named, String namespace) {
    String name = required(named, "name").asText();
    if (name.contains(".")) {
      return name;
    }
    JsonNode ns = named.get("namespace");
    String space = ns != null && !ns.isNull() ? ns.asText() : namespace;
    return space.isEmpty() ? name : space + "." + name;
  }

  private static ObjectNode typed(String jsonType) {
    ObjectNode n = NODES.objectNode();
    n.put("type", jsonType);
    return n;
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("Avro type without \"" + field + "\": " + node);
    }
    return value;
  }
}
