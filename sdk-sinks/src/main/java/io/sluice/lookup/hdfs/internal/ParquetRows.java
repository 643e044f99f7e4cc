package io.sluice.lookup.hdfs.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.errors.SluiceException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads Parquet files with Parquet's own reader; each row becomes an object: numbers and booleans
 * as such, strings (and enums, JSON) as text, other binaries as bytes, nested groups as objects and
 * repeated fields as arrays. Timestamps and dates stay the numbers Parquet stores.
 */
public final class ParquetRows implements LookupFiles.RowReader {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final String keyColumn;

  public ParquetRows(String keyColumn) {
    this.keyColumn = keyColumn;
  }

  @Override
  public void read(FileSystem fs, Path file, Map<String, JsonNode> rows) throws IOException {
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).withConf(fs.getConf()).build()) {
      Group g;
      long n = 0;
      while ((g = reader.read()) != null) {
        n++;
        GroupType schema = g.getType();
        if (!schema.containsField(keyColumn)) {
          List<String> names = new ArrayList<>();
          schema.getFields().forEach(f -> names.add(f.getName()));
          throw new SluiceException(
              "Lookup table: "
                  + file
                  + " has no column "
                  + keyColumn
                  + " (its columns are "
                  + String.join(", ", names)
                  + "): name the key column as in the file");
        }
        ObjectNode row = toObject(g);
        JsonNode key = row.get(keyColumn);
        if (key == null || key.isContainerNode()) {
          throw new SluiceException(
              "Lookup table: row "
                  + n
                  + " of "
                  + file
                  + " has no value for the key column "
                  + keyColumn
                  + ": every row needs one");
        }
        rows.put(key.asText(), row);
      }
    } catch (RuntimeException e) {
      if (e instanceof SluiceException) {
        throw e;
      }
      throw new SluiceException(
          "Lookup table: " + file + " cannot be read as Parquet: " + e.getMessage(), e);
    }
  }

  private static ObjectNode toObject(Group g) {
    ObjectNode o = NODES.objectNode();
    GroupType type = g.getType();
    for (int i = 0; i < type.getFieldCount(); i++) {
      Type field = type.getType(i);
      int count = g.getFieldRepetitionCount(i);
      if (field.isRepetition(Type.Repetition.REPEATED)) {
        ArrayNode values = o.putArray(field.getName());
        for (int j = 0; j < count; j++) {
          values.add(value(g, i, j, field));
        }
      } else if (count > 0) {
        o.set(field.getName(), value(g, i, 0, field));
      }
    }
    return o;
  }

  private static JsonNode value(Group g, int field, int index, Type type) {
    if (!type.isPrimitive()) {
      return toObject(g.getGroup(field, index));
    }
    PrimitiveType p = type.asPrimitiveType();
    LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
    return switch (p.getPrimitiveTypeName()) {
      case BOOLEAN -> NODES.booleanNode(g.getBoolean(field, index));
      case INT32 -> NODES.numberNode(g.getInteger(field, index));
      case INT64 -> NODES.numberNode(g.getLong(field, index));
      case FLOAT -> NODES.numberNode(g.getFloat(field, index));
      case DOUBLE -> NODES.numberNode(g.getDouble(field, index));
      case BINARY, FIXED_LEN_BYTE_ARRAY ->
          logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                  || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
                  || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation
              ? NODES.textNode(g.getString(field, index))
              : NODES.binaryNode(g.getBinary(field, index).getBytes());
      case INT96 -> NODES.binaryNode(g.getInt96(field, index).getBytes());
    };
  }
}
