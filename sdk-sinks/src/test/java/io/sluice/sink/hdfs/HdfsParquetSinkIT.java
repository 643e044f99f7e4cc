package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.hdfs.ParquetFormat.Compression;
import io.sluice.sink.hdfs.ParquetFormat.Type;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HDFS sink writing Parquet: the whole compatibility kit (SIGKILLs and an HDFS outage included)
 * with Parquet part files, plus typed columns, rolling and bad values, read back with Parquet's own
 * reader on the MiniDFSCluster and on the local file system.
 */
public class HdfsParquetSinkIT extends HdfsKit {
  @TempDir java.nio.file.Path localDir;

  /** An order with a column of every type. */
  record Order(
      long id,
      String customer,
      String coupon,
      double price,
      int qty,
      boolean paid,
      Instant time,
      byte[] tag) {
    static Order of(long id) {
      return new Order(
          id,
          "c" + (id % 7),
          id % 2 == 0 ? null : "coupon-" + id,
          id * 0.5,
          (int) (id % 10),
          id % 3 == 0,
          Instant.ofEpochMilli(1_700_000_000_000L + id),
          new byte[] {(byte) id, 1});
    }
  }

  /** The order columns, every Parquet type the sink writes. */
  static ParquetFormat.Builder<Order> orderColumns() {
    return ParquetFormat.<Order>builder("order")
        .required("id", Type.INT64, Order::id)
        .required("customer", Type.STRING, Order::customer)
        .optional("coupon", Type.STRING, Order::coupon)
        .required("price", Type.DOUBLE, Order::price)
        .required("qty", Type.INT32, Order::qty)
        .required("paid", Type.BOOLEAN, Order::paid)
        .required("time", Type.TIMESTAMP_MILLIS, Order::time)
        .optional("tag", Type.BYTES, Order::tag);
  }

  static final ParquetFormat<Order> ORDERS = orderColumns().build();

  /**
   * The kit's sink: columns id and k in three topic/date/hour buckets. Uncompressed, so that the
   * kit's floor on counted bytes (8 per record) holds for a columnar file too.
   */
  public static Sink<TestRecord> sink(String server, String run) {
    return HdfsSink.<TestRecord>builder()
        .name("hdfs-parquet-kit")
        .basePath(server + "/" + run)
        .parquet(
            ParquetFormat.<TestRecord>builder("test_record")
                .required("id", Type.INT64, TestRecord::id)
                .required("k", Type.STRING, TestRecord::key)
                .compression(Compression.UNCOMPRESSED)
                .build())
        .bucketByTopicAndHour(r -> "topic-" + (r.id() % 3), r -> 1_700_000_000_000L)
        .build();
  }

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "hdfs-parquet";
  }

  private static Sink<Order> orderSink(String base, long maxPartSize, ParquetFormat<Order> f) {
    return HdfsSink.<Order>builder()
        .basePath(base)
        .parquet(f)
        .bucket(o -> "customer=" + o.customer())
        .maxPartSize(maxPartSize)
        .build();
  }

  /** Writes ids [0, n) in two checkpoints and commits both. */
  private static void writeOrders(Sink<Order> sink, int n) {
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    List<Committable> prepared = new ArrayList<>();
    try (SinkWriter<Order> writer = sink.createWriter(ctx)) {
      for (long i = 0; i < n; i++) {
        writer.write(Order.of(i));
        if (i == n / 2) {
          prepared.add(writer.prepareCommit(1).join());
        }
      }
      prepared.add(writer.prepareCommit(2).join());
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      prepared.forEach(committer::commit);
    }
  }

  private static List<Path> parquetFiles(FileSystem fs, Path base) throws IOException {
    List<Path> files = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (!p.toString().contains("/_sluice/")) {
        files.add(p);
      }
    }
    return files;
  }

  private static void assertOrdersReadBack(FileSystem fs, Path base, int n) throws IOException {
    List<Path> files = parquetFiles(fs, base);
    assertThat(files).isNotEmpty().allMatch(p -> p.getName().matches("part-.*\\.parquet"));
    assertThat(visible(fs, base)).hasSize(n).allSatisfy((id, count) -> assertThat(count).isOne());
    MessageType schema;
    try (ParquetFileReader r =
        ParquetFileReader.open(HadoopInputFile.fromPath(files.get(0), fs.getConf()))) {
      schema = r.getFooter().getFileMetaData().getSchema();
    }
    assertThat(schema.toString().replaceAll("\\s+", " "))
        .isEqualTo(ORDERS.schema().replaceAll("\\s+", " "));
    int checked = 0;
    for (Path p : files) {
      for (Group g : readParquet(fs.getConf(), p)) {
        Order o = Order.of(g.getLong("id", 0));
        assertThat(g.getString("customer", 0)).isEqualTo(o.customer());
        assertThat(p.getParent().getName()).isEqualTo("customer=" + o.customer());
        if (o.coupon() == null) {
          assertThat(g.getFieldRepetitionCount("coupon")).isZero();
        } else {
          assertThat(g.getString("coupon", 0)).isEqualTo(o.coupon());
        }
        assertThat(g.getDouble("price", 0)).isEqualTo(o.price());
        assertThat(g.getInteger("qty", 0)).isEqualTo(o.qty());
        assertThat(g.getBoolean("paid", 0)).isEqualTo(o.paid());
        assertThat(g.getLong("time", 0)).isEqualTo(o.time().toEpochMilli());
        assertThat(g.getBinary("tag", 0).getBytes()).isEqualTo(o.tag());
        checked++;
      }
    }
    assertThat(checked).isEqualTo(n);
  }

  @Test
  void shouldWriteTypedColumnsReadableByParquetOnHdfs() throws Exception {
    String run = newRun();
    writeOrders(orderSink(server() + run, 64L << 20, ORDERS), 10_000);
    FileSystem fs = FileSystem.newInstance(new Path(server()).toUri(), new Configuration());
    try {
      assertOrdersReadBack(fs, new Path(server() + run), 10_000);
    } finally {
      fs.close();
    }
  }

  @Test
  void shouldRollParquetPartsBySizeOnTheLocalFileSystem() throws Exception {
    ParquetFormat<Order> small =
        orderColumns()
            .compression(Compression.GZIP)
            .rowGroupSize(64 << 10)
            .pageSize(8 << 10) // many pages per row group, read back below
            .build();
    writeOrders(orderSink(localDir.toString(), 64 << 10, small), 60_000);
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    Path base = new Path(localDir.toUri());
    List<Path> files = parquetFiles(fs, base);
    assertThat(files.size()).as("rolled by size in 7 buckets").isGreaterThan(7 * 2);
    assertThat(files).noneMatch(p -> p.getName().endsWith(".crc"));
    assertOrdersReadBack(fs, base, 60_000);
  }

  @Test
  void shouldHandValuesThatDoNotFitToTheBadRecordHandlerAndWriteTheRest() throws Exception {
    ParquetFormat<TestRecord> strictKey =
        ParquetFormat.<TestRecord>builder("test_record")
            .required("id", Type.INT64, TestRecord::id)
            .required("k", Type.INT64, r -> r.key().startsWith("n") ? r.key() : r.id())
            .build();
    Sink<TestRecord> sink =
        HdfsSink.<TestRecord>builder()
            .basePath(localDir.toString())
            .parquet(strictKey)
            .bucket(r -> "b")
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0, TestSinkContext.Policy.SKIP);
    Committable c;
    try (SinkWriter<TestRecord> writer = sink.createWriter(ctx)) {
      writer.write(new TestRecord(1, "a"));
      writer.write(new TestRecord(2, "not a number"));
      writer.write(new TestRecord(3, null));
      writer.write(new TestRecord(4, "d"));
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    Map<Long, Long> counts =
        visible(
            FileSystem.getLocal(new Configuration()).getRawFileSystem(),
            new Path(localDir.toUri()));
    assertThat(counts).containsOnlyKeys(1L, 4L);
    assertThat(ctx.badRecords())
        .extracting(b -> b.record())
        .containsExactly(new TestRecord(2, "not a number"), new TestRecord(3, null));
    assertThat(ctx.badRecords().get(0).cause())
        .hasMessageContaining("column k (INT64) cannot hold a java.lang.String");
    assertThat(ctx.badRecords().get(1).cause()).isInstanceOf(NullPointerException.class);
    assertThat(LongStream.of(1, 4).boxed().toList())
        .containsExactlyInAnyOrderElementsOf(counts.keySet());
  }
}
