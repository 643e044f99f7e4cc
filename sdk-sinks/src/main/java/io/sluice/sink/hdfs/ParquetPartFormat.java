package io.sluice.sink.hdfs;

import io.sluice.sink.hdfs.ParquetFormat.Compression;
import io.sluice.sink.hdfs.internal.PartEncoder;
import io.sluice.sink.hdfs.internal.PartFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Parquet part files: a record is encoded into its column values ({@link ParquetColumn#extract},
 * where a bad value is found), which a {@link ParquetWriter} then writes into the part file's
 * stream. The writer never sees the file system: it writes into the part file's stream (memory copy
 * plus HDFS), so a part whose HDFS pipeline broke is written again byte for byte like a JSON one.
 */
final class ParquetPartFormat<T> implements PartFormat<T, Object[]> {
  private final List<? extends ParquetColumn<? super T>> columns;
  private final MessageType schema;
  private final CompressionCodecName codec;
  private final long rowGroupSize;
  private final int pageSize;
  private final Configuration conf;

  ParquetPartFormat(
      String name,
      List<? extends ParquetColumn<? super T>> columns,
      Compression compression,
      long rowGroupSize,
      int pageSize,
      Configuration conf) {
    this.columns = List.copyOf(columns);
    this.schema = ParquetColumn.schemaOf(name, columns);
    this.codec = CompressionCodecName.valueOf(compression.name());
    this.rowGroupSize = rowGroupSize;
    this.pageSize = pageSize;
    this.conf = new Configuration(conf);
  }

  @Override
  public String extension() {
    return ".parquet";
  }

  @Override
  public Object[] encode(T record) {
    Object[] values = new Object[columns.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = columns.get(i).extract(record);
    }
    return values;
  }

  @Override
  public PartEncoder<Object[]> open(OutputStream out) throws IOException {
    CountingStream stream = new CountingStream(out);
    ParquetWriter<Object[]> writer =
        new Builder(new StreamFile(stream), new Support())
            .withConf(conf)
            .withCompressionCodec(codec)
            .withRowGroupSize(rowGroupSize)
            .withPageSize(pageSize)
            .withDictionaryPageSize(pageSize)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build();
    return new PartEncoder<>() {
      @Override
      public void write(Object[] values) throws IOException {
        writer.write(values);
      }

      @Override
      public long pendingBytes() {
        return Math.max(0, writer.getDataSize() - stream.position);
      }

      @Override
      public void finish() throws IOException {
        writer.close(); // writes the last row group and the footer; the stream stays open
      }
    };
  }

  /** Writes the encoded values as one flat Parquet record; empty optional values are skipped. */
  private final class Support extends WriteSupport<Object[]> {
    private RecordConsumer out;

    // Abstract, so it must be implemented, though deprecated for the ParquetConfiguration one.
    @SuppressWarnings("deprecation")
    @Override
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, Map.of());
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(schema, Map.of());
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.out = recordConsumer;
    }

    @Override
    public void write(Object[] values) {
      out.startMessage();
      for (int i = 0; i < values.length; i++) {
        if (values[i] != null) {
          columns.get(i).write(out, i, values[i]);
        }
      }
      out.endMessage();
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Object[], Builder> {
    private final WriteSupport<Object[]> support;

    Builder(OutputFile file, WriteSupport<Object[]> support) {
      super(file);
      this.support = support;
    }

    @Override
    protected Builder self() {
      return this;
    }

    // Abstract, so it must be implemented, though deprecated for the ParquetConfiguration one.
    @SuppressWarnings("deprecation")
    @Override
    protected WriteSupport<Object[]> getWriteSupport(Configuration conf) {
      return support;
    }

    @Override
    protected WriteSupport<Object[]> getWriteSupport(ParquetConfiguration conf) {
      return support;
    }
  }

  /** The part file's stream as Parquet's output file; created once, by the writer above. */
  private static final class StreamFile implements OutputFile {
    private final CountingStream stream;

    StreamFile(CountingStream stream) {
      this.stream = stream;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return stream;
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return stream;
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }
  }

  /** Counts the position; closing it is left to the part file (which syncs first). */
  private static final class CountingStream extends PositionOutputStream {
    private final OutputStream out;
    private long position;

    CountingStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public long getPos() {
      return position;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      position++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      position += len;
    }

    @Override
    public void close() {
      // the part file syncs and closes the real stream
    }
  }
}
