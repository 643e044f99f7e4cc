package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import io.sluice.sink.hdfs.ParquetFormat.Compression;
import io.sluice.sink.hdfs.ParquetFormat.Type;
import io.sluice.testkit.sink.TestRecord;
import org.junit.jupiter.api.Test;

/** The format settings of the HDFS sink are checked when they are set, with clear messages. */
class HdfsSinkFormatTest {
  private static ParquetFormat<TestRecord> format() {
    return ParquetFormat.<TestRecord>builder("test_record")
        .required("id", Type.INT64, TestRecord::id)
        .optional("k", Type.STRING, TestRecord::key)
        .required("at", Type.TIMESTAMP_MILLIS, TestRecord::id)
        .build();
  }

  @Test
  void shouldDeriveTheParquetSchemaFromTheColumns() {
    assertThat(format().schema().replaceAll("\\s+", " ").trim())
        .isEqualTo(
            "message test_record { required int64 id; optional binary k (STRING);"
                + " required int64 at (TIMESTAMP(MILLIS,true)); }");
    assertThat(format().compression()).isEqualTo(Compression.SNAPPY);
    assertThat(format().rowGroupSize()).isEqualTo(16L << 20);
    assertThat(format().pageSize()).isEqualTo(1 << 20);
  }

  @Test
  void shouldRefuseBadParquetSettings() {
    assertThatThrownBy(() -> ParquetFormat.builder("has space"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Invalid value 'has space' for name");
    assertThatThrownBy(() -> ParquetFormat.<TestRecord>builder("r").build())
        .isInstanceOf(ConfigException.class)
        .hasMessage("ParquetFormat r has no columns: call required(...) or optional(...)");
    ParquetFormat.Builder<TestRecord> b =
        ParquetFormat.<TestRecord>builder("r").required("id", Type.INT64, TestRecord::id);
    assertThatThrownBy(() -> b.optional("id", Type.INT32, TestRecord::id))
        .isInstanceOf(ConfigException.class)
        .hasMessage("column id was already added");
    assertThatThrownBy(() -> b.required("x", null, TestRecord::id))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("type must not be null");
    assertThatThrownBy(() -> b.rowGroupSize(1000))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 1000 for rowGroupSize: must be at least 65536");
    assertThatThrownBy(() -> b.pageSize(1000))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 1000 for pageSize: must be at least 8192");
    b.compression(Compression.GZIP);
    assertThatThrownBy(() -> b.compression(Compression.SNAPPY))
        .isInstanceOf(ConfigException.class)
        .hasMessage("compression(...) was already set");
  }

  @Test
  void shouldTakeExactlyOneFormat() {
    assertThatThrownBy(() -> HdfsSink.<TestRecord>builder().lines(r -> "x").parquet(format()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("lines(...) was already set: a sink writes one format");
    assertThatThrownBy(() -> HdfsSink.<TestRecord>builder().parquet(format()).lines(r -> "x"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("parquet(...) was already set: a sink writes one format");
    assertThatThrownBy(() -> HdfsSink.<TestRecord>builder().parquet(format()).gzip(true))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("gzip(...) is for JSON lines");
    assertThatThrownBy(
            () -> HdfsSink.<TestRecord>builder().basePath("/tmp/x").bucket(r -> "b").build())
        .isInstanceOf(ConfigException.class)
        .hasMessage("HdfsSink needs a format: call lines(...) for JSON lines or parquet(...)");
    assertThat(
            HdfsSink.<TestRecord>builder()
                .basePath("/tmp/x")
                .parquet(format())
                .bucket(r -> "b")
                .build()
                .name())
        .isEqualTo("hdfs");
  }
}
