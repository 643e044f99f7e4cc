package io.sluice.sink.hdfs;

import static io.sluice.sink.internal.Checks.atLeast;

import io.sluice.errors.ConfigException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * How an {@link HdfsSink} writes records as Parquet: a flat schema of named, typed columns, each
 * with the function that takes its value from a record. The schema is derived from the columns, so
 * it cannot drift from the mapping.
 *
 * <pre>{@code
 * ParquetFormat<Order> parquet = ParquetFormat.<Order>builder("order")
 *     .required("id", ParquetFormat.Type.INT64, Order::id)
 *     .required("customer", ParquetFormat.Type.STRING, Order::customer)
 *     .optional("coupon", ParquetFormat.Type.STRING, Order::coupon)     // null: no value
 *     .required("time", ParquetFormat.Type.TIMESTAMP_MILLIS, Order::time) // Instant or epoch ms
 *     .build();
 * HdfsSink<Order> sink = HdfsSink.<Order>builder()
 *     .basePath("hdfs://namenode:8020/data/orders")
 *     .parquet(parquet)
 *     .bucketByTopicAndHour(Order::topic, Order::epochMillis)
 *     .build();
 * }</pre>
 *
 * <p><b>Bad records.</b> A value of the wrong Java type, a null in a required column or a column
 * function that throws makes the record bad: it goes to the app's sink bad-record policy with a
 * message naming the column, its type and what it got; nothing of it reaches the file.
 *
 * <p>Each part file is finished at every checkpoint and committed by rename, like JSON-lines parts;
 * the open row group of each open bucket is buffered in memory ({@link Builder#rowGroupSize}).
 * Nested and repeated fields are not supported: map them to columns or to a JSON string. How part
 * files are written is in the package doc of {@code io.sluice.sink.hdfs.internal}.
 */
public final class ParquetFormat<T> {
  /** Column types, with the Java values each accepts (anything else makes the record bad). */
  public enum Type {
    /** {@code Boolean}. */
    BOOLEAN,
    /** 32-bit integer: {@code Integer}, {@code Short} or {@code Byte}. */
    INT32,
    /** 64-bit integer: {@code Long}, {@code Integer}, {@code Short} or {@code Byte}. */
    INT64,
    /** {@code Float}. */
    FLOAT,
    /** {@code Double} or {@code Float}. */
    DOUBLE,
    /** UTF-8 text: any {@code CharSequence}. */
    STRING,
    /** Raw bytes: {@code byte[]}. */
    BYTES,
    /** A UTC instant in milliseconds: {@code java.time.Instant} or epoch milliseconds as Long. */
    TIMESTAMP_MILLIS
  }

  /** Compression of the column chunks; every Parquet reader understands all three. */
  public enum Compression {
    UNCOMPRESSED,
    /** The default: fast, modest ratio (the usual choice for Hive, Spark, Trino tables). */
    SNAPPY,
    /** Slower to write, smaller files. */
    GZIP
  }

  private final String name;
  private final List<ParquetColumn<T>> columns;
  private final Compression compression;
  private final long rowGroupSize;
  private final int pageSize;

  private ParquetFormat(Builder<T> b) {
    this.name = b.name;
    this.columns = List.copyOf(b.columns);
    this.compression = b.compression != null ? b.compression : Compression.SNAPPY;
    this.rowGroupSize = b.rowGroupSize;
    this.pageSize = b.pageSize;
  }

  /**
   * Starts a format whose Parquet schema (message) is called {@code name}.
   *
   * @param name the schema's name, e.g. the record type ({@code order})
   */
  public static <T> Builder<T> builder(String name) {
    Objects.requireNonNull(name, "name must not be null");
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new ConfigException(
          "Invalid value '"
              + name
              + "' for name: must be letters, digits or _ (not first a digit)");
    }
    return new Builder<>(name);
  }

  /** The schema's name. */
  public String name() {
    return name;
  }

  /** The columns, in file order (for the sink; the column type is internal). */
  List<ParquetColumn<T>> columns() {
    return columns;
  }

  public Compression compression() {
    return compression;
  }

  /** Bytes buffered per row group before it is written out. */
  public long rowGroupSize() {
    return rowGroupSize;
  }

  public int pageSize() {
    return pageSize;
  }

  /** The Parquet schema in its text form, e.g. {@code message order { required int64 id; }}. */
  public String schema() {
    return ParquetColumn.schemaOf(name, columns).toString();
  }

  @Override
  public String toString() {
    return "ParquetFormat{" + schema().replaceAll("\\s+", " ").trim() + ", " + compression + "}";
  }

  /** Columns and settings of a {@link ParquetFormat}; each call validates at once. */
  public static final class Builder<T> {
    private final String name;
    private final List<ParquetColumn<T>> columns = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private Compression compression;
    private long rowGroupSize = 16L << 20;
    private int pageSize = 1 << 20;

    private Builder(String name) {
      this.name = name;
    }

    /** A column every record has: a null value makes the record bad. */
    public Builder<T> required(String column, Type type, Function<? super T, ?> value) {
      return add(column, type, value, true);
    }

    /** A column a record may leave empty: a null value is written as "no value" (SQL NULL). */
    public Builder<T> optional(String column, Type type, Function<? super T, ?> value) {
      return add(column, type, value, false);
    }

    private Builder<T> add(
        String column, Type type, Function<? super T, ?> value, boolean required) {
      Objects.requireNonNull(column, "column must not be null");
      Objects.requireNonNull(type, "type must not be null");
      Objects.requireNonNull(value, "value must not be null");
      if (column.isBlank()) {
        throw new ConfigException("Invalid value '' for column: must not be blank");
      }
      if (!names.add(column)) {
        throw new ConfigException("column " + column + " was already added");
      }
      columns.add(new ParquetColumn<>(column, type, value, required));
      return this;
    }

    /** Column chunk compression (default {@link Compression#SNAPPY}). */
    public Builder<T> compression(Compression compression) {
      Objects.requireNonNull(compression, "compression must not be null");
      if (this.compression != null) {
        throw new ConfigException("compression(...) was already set");
      }
      this.compression = compression;
      return this;
    }

    /**
     * Bytes of a row group (default 16 MiB, at least 64 KiB). The open row group of every open part
     * file is held in memory until it is full or the part is finished.
     */
    public Builder<T> rowGroupSize(long bytes) {
      this.rowGroupSize = atLeast(bytes, 64L << 10, "rowGroupSize");
      return this;
    }

    /**
     * Bytes of a page within a column chunk (default 1 MiB, Parquet's own; at least 8 KiB). Every
     * open part file also holds a compression buffer of this size, so an app with hundreds of open
     * buckets (many topics, several hours each) lowers it, e.g. to 64 KiB.
     */
    public Builder<T> pageSize(int bytes) {
      this.pageSize = (int) atLeast(bytes, 8L << 10, "pageSize");
      return this;
    }

    public ParquetFormat<T> build() {
      if (columns.isEmpty()) {
        throw new ConfigException(
            "ParquetFormat " + name + " has no columns: call required(...) or optional(...)");
      }
      return new ParquetFormat<>(this);
    }
  }
}
