package io.sluice.sink.hdfs;

import io.sluice.sink.hdfs.ParquetFormat.Type;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/**
 * One column of a {@code ParquetFormat}: takes its value from a record, checks and converts it
 * ({@link #extract}) before anything is written, and adds it to a Parquet record ({@link #write}).
 * Immutable; shared by every writer of a sink.
 *
 * @param name the column's name
 * @param type its type
 * @param value takes the column's value from a record
 * @param required whether a null value makes the record bad (else: no value)
 */
record ParquetColumn<T>(String name, Type type, Function<? super T, ?> value, boolean required) {

  /** The Parquet schema of {@code columns}, in their order. */
  static MessageType schemaOf(String name, List<? extends ParquetColumn<?>> columns) {
    Types.MessageTypeBuilder b = Types.buildMessage();
    for (ParquetColumn<?> c : columns) {
      b.addField(c.parquetType());
    }
    return b.named(name);
  }

  PrimitiveType parquetType() {
    Repetition r = required ? Repetition.REQUIRED : Repetition.OPTIONAL;
    return switch (type) {
      case BOOLEAN -> Types.primitive(PrimitiveTypeName.BOOLEAN, r).named(name);
      case INT32 -> Types.primitive(PrimitiveTypeName.INT32, r).named(name);
      case INT64 -> Types.primitive(PrimitiveTypeName.INT64, r).named(name);
      case FLOAT -> Types.primitive(PrimitiveTypeName.FLOAT, r).named(name);
      case DOUBLE -> Types.primitive(PrimitiveTypeName.DOUBLE, r).named(name);
      case STRING ->
          Types.primitive(PrimitiveTypeName.BINARY, r)
              .as(LogicalTypeAnnotation.stringType())
              .named(name);
      case BYTES -> Types.primitive(PrimitiveTypeName.BINARY, r).named(name);
      case TIMESTAMP_MILLIS ->
          Types.primitive(PrimitiveTypeName.INT64, r)
              .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS))
              .named(name);
    };
  }

  /**
   * The column's value of {@code record}, converted for {@link #write}; null for an empty optional
   * value.
   *
   * @throws IllegalArgumentException naming the column when the value does not fit
   */
  Object extract(T record) {
    Object v = value.apply(record);
    if (v == null) {
      if (required) {
        throw new IllegalArgumentException(
            "column "
                + name
                + " is required but its value is null: return a value or declare it optional(...)");
      }
      return null;
    }
    Object converted =
        switch (type) {
          case BOOLEAN -> v instanceof Boolean ? v : null;
          case INT32 -> v instanceof Integer || v instanceof Short || v instanceof Byte ? v : null;
          case INT64 ->
              v instanceof Long
                  ? v
                  : v instanceof Integer || v instanceof Short || v instanceof Byte
                      ? (Long) ((Number) v).longValue()
                      : null;
          case FLOAT -> v instanceof Float ? v : null;
          case DOUBLE ->
              v instanceof Double ? v : v instanceof Float f ? (Double) f.doubleValue() : null;
          case STRING -> v instanceof CharSequence s ? Binary.fromString(s.toString()) : null;
          case BYTES -> v instanceof byte[] b ? Binary.fromConstantByteArray(b.clone()) : null;
          case TIMESTAMP_MILLIS ->
              v instanceof Instant i ? (Long) i.toEpochMilli() : v instanceof Long ? v : null;
        };
    if (converted == null) {
      throw new IllegalArgumentException(
          "column "
              + name
              + " ("
              + type
              + ") cannot hold a "
              + v.getClass().getName()
              + ": map it to one of the types ParquetFormat.Type."
              + type
              + " accepts");
    }
    return converted;
  }

  /** Adds a value {@link #extract} returned (not null) as field {@code index}. */
  void write(RecordConsumer out, int index, Object v) {
    out.startField(name, index);
    switch (type) {
      case BOOLEAN -> out.addBoolean((Boolean) v);
      case INT32 -> out.addInteger(((Number) v).intValue());
      case INT64, TIMESTAMP_MILLIS -> out.addLong((Long) v);
      case FLOAT -> out.addFloat((Float) v);
      case DOUBLE -> out.addDouble((Double) v);
      case STRING, BYTES -> out.addBinary((Binary) v);
    }
    out.endField(name, index);
  }
}
