package io.sluice.lookup.hdfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SluiceException;
import io.sluice.lookup.LookupTable;
import io.sluice.sink.Committer;
import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.hdfs.HdfsSink;
import io.sluice.sink.hdfs.ParquetFormat;
import io.sluice.sink.hdfs.ParquetFormat.Type;
import io.sluice.testkit.MiniHdfs;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lookup tables read from HDFS (MiniDFSCluster) and local paths in JSON lines, CSV and Parquet. */
class HdfsLookupIT {
  private static MiniHdfs hdfs;
  private static int runs;

  @TempDir java.nio.file.Path localDir;

  record User(String id, String country, Long age) {}

  @BeforeAll
  static void startHdfs() throws IOException {
    hdfs =
        MiniHdfs.start(
            Files.createTempDirectory(
                Files.createDirectories(java.nio.file.Path.of("target")), "hdfs-lookup-it"));
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  private static String newDir() {
    return hdfs.uri() + "/lookup" + (++runs);
  }

  private static void write(String uri, String text) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = hdfs.fileSystem();
    try (FSDataOutputStream out = fs.create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void writeGzip(String uri, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(hdfs.fileSystem().create(new Path(uri), true))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Writes users through the HDFS sink as Parquet: the sink's output is the lookup's input. */
  private static void writeParquetUsers(String dir, User... users) {
    Sink<User> sink =
        HdfsSink.<User>builder()
            .basePath(dir)
            .parquet(
                ParquetFormat.<User>builder("user")
                    .required("id", Type.STRING, User::id)
                    .required("country", Type.STRING, User::country)
                    .optional("age", Type.INT64, User::age)
                    .build())
            .bucket(u -> "country=" + u.country())
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<User> writer = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      for (User u : users) {
        writer.write(u);
      }
      committer.commit(writer.prepareCommit(1).join());
    }
  }

  private static LookupTable<String, JsonNode> load(HdfsLookup.Builder b) {
    return b.refresh(Duration.ZERO).build();
  }

  @Test
  void shouldLoadJsonLinesFromAnHdfsDirectorySkippingHiddenFilesAndGunzipping() throws Exception {
    String dir = newDir();
    write(
        dir + "/a.jsonl",
        "{\"id\":\"u1\",\"country\":\"de\"}\n\n{\"id\":\"u2\",\"country\":\"fr\"}\n");
    writeGzip(dir + "/sub/b.jsonl.gz", "{\"id\":7,\"country\":\"it\",\"tags\":[1,2]}\n");
    write(dir + "/.c.jsonl.inprogress", "not json at all\n");
    write(dir + "/_SUCCESS", "");
    write(dir + "/_sluice/manifest", "garbage\n");
    try (LookupTable<String, JsonNode> users = load(HdfsLookup.jsonLines(dir, "id"))) {
      assertThat(users.size()).isEqualTo(3);
      assertThat(users.get("u2").get("country").asText()).isEqualTo("fr");
      assertThat(users.get("7").get("tags").size()).isEqualTo(2);
      assertThat(users.get("nobody")).isNull();
    }
  }

  /**
   * Rows written later replace earlier ones with the same key, whatever the file names: part names
   * (batch numbers without padding, a random token per writer) do not sort by time. Here the newer
   * file's name sorts first; a damaged .gz file is named in the error.
   */
  @Test
  void shouldLetTheNewestFileWinAndNameABrokenGzipFile() throws Exception {
    String dir = newDir();
    write(dir + "/part-w0-b-9-0.jsonl", "{\"id\":\"u1\",\"country\":\"old\"}\n");
    write(dir + "/part-w0-a-10-0.jsonl", "{\"id\":\"u1\",\"country\":\"new\"}\n");
    FileSystem fs = hdfs.fileSystem();
    fs.setTimes(new Path(dir + "/part-w0-b-9-0.jsonl"), 1_000_000L, -1);
    fs.setTimes(new Path(dir + "/part-w0-a-10-0.jsonl"), 2_000_000L, -1);
    try (LookupTable<String, JsonNode> users = load(HdfsLookup.jsonLines(dir, "id"))) {
      assertThat(users.get("u1").get("country").asText()).isEqualTo("new");
    }
    write(dir + "/broken.jsonl.gz", "not gzip");
    assertThatThrownBy(() -> load(HdfsLookup.jsonLines(dir, "id")))
        .hasMessageContaining("broken.jsonl.gz");
  }

  @Test
  void shouldLoadGzippedJsonLinesThatTheSinkWroteLocally() {
    Sink<User> sink =
        HdfsSink.<User>builder()
            .basePath(localDir.toString())
            .lines(u -> "{\"id\":\"" + u.id() + "\",\"country\":\"" + u.country() + "\"}")
            .gzip(true)
            .bucket(u -> "country=" + u.country())
            .build();
    TestSinkContext ctx = new TestSinkContext(sink.name(), 0);
    try (SinkWriter<User> writer = sink.createWriter(ctx);
        Committer committer = sink.createCommitter(ctx)) {
      writer.write(new User("u1", "de", null));
      writer.write(new User("u2", "fr", null));
      committer.commit(writer.prepareCommit(1).join());
      writer.write(new User("u1", "it", null)); // a later batch: hidden until committed
      writer.prepareCommit(2).join();
    }
    try (LookupTable<String, JsonNode> users =
        load(HdfsLookup.jsonLines("file://" + localDir, "id"))) {
      assertThat(users.size()).isEqualTo(2);
      assertThat(users.get("u1").get("country").asText())
          .as("uncommitted batch unseen")
          .isEqualTo("de");
    }
  }

  @Test
  void shouldLoadCsvWithQuotedFieldsFromHdfsAndLocally() throws Exception {
    String csv =
        "id;country;note\r\n"
            + "u1;de;\"semi; colon\"\r\n"
            + "u2;fr;\"two\nlines and \"\"quotes\"\"\"\n"
            + "\n"
            + "u3;it;\n";
    String dir = newDir();
    write(dir + "/users.csv", csv);
    Files.writeString(localDir.resolve("users.csv"), csv);
    for (String path :
        new String[] {dir + "/users.csv", localDir.resolve("users.csv").toString()}) {
      try (LookupTable<String, JsonNode> users = load(HdfsLookup.csv(path, "id").separator(';'))) {
        assertThat(users.size()).as(path).isEqualTo(3);
        assertThat(users.get("u1").get("note").asText()).isEqualTo("semi; colon");
        assertThat(users.get("u2").get("note").asText()).isEqualTo("two\nlines and \"quotes\"");
        assertThat(users.get("u3").get("country").asText()).isEqualTo("it");
        assertThat(users.get("u3").get("note").asText()).isEmpty();
      }
    }
  }

  @Test
  void shouldLoadParquetThatTheSinkWroteOnHdfsAndLocally() {
    User[] users = {
      new User("u1", "de", 31L), new User("u2", "fr", null), new User("u3", "de", 5L)
    };
    String dir = newDir();
    writeParquetUsers(dir, users);
    writeParquetUsers(localDir.toString(), users);
    for (String path : new String[] {dir, "file://" + localDir}) {
      try (LookupTable<String, JsonNode> table = load(HdfsLookup.parquet(path, "id"))) {
        assertThat(table.size()).as(path).isEqualTo(3);
        assertThat(table.get("u1").get("age").asLong()).isEqualTo(31);
        assertThat(table.get("u1").get("country").asText()).isEqualTo("de");
        assertThat(table.get("u2").has("age")).as("optional value not set").isFalse();
      }
    }
  }

  @Test
  void shouldNameTheFileAndLineOfBadInput() throws Exception {
    String dir = newDir();
    write(dir + "/bad.jsonl", "{\"id\":1}\n{\"id\":2,\n");
    assertThatThrownBy(() -> load(HdfsLookup.jsonLines(dir + "/bad.jsonl", "id")))
        .isInstanceOf(SluiceException.class)
        .hasMessageStartingWith("Lookup table: line 2 of " + dir + "/bad.jsonl is not valid JSON")
        .hasMessageEndingWith("fix or remove the line");
    write(dir + "/nokey.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"name\":\"x\"}\n");
    assertThatThrownBy(() -> load(HdfsLookup.jsonLines(dir + "/nokey.jsonl", "id")))
        .hasMessage(
            "Lookup table: line 3 of "
                + dir
                + "/nokey.jsonl has no value for the key field id: every row needs one");
    write(dir + "/short.csv", "id,a,b\n1,x,y\n2,x\n");
    assertThatThrownBy(() -> load(HdfsLookup.csv(dir + "/short.csv", "id")))
        .hasMessage(
            "Lookup table: line 3 of "
                + dir
                + "/short.csv has 2 fields but the header has 3: fix the line (quote fields that"
                + " hold the separator)");
    write(dir + "/open.csv", "id,a\n1,x\n2,\"never closed\n3,y\n");
    assertThatThrownBy(() -> load(HdfsLookup.csv(dir + "/open.csv", "id")))
        .hasMessageContaining("line 3 of " + dir + "/open.csv opens a quoted field");
    assertThatThrownBy(() -> load(HdfsLookup.csv(dir + "/short.csv", "userId")))
        .hasMessage(
            "Lookup table: "
                + dir
                + "/short.csv has no column userId (its header is id,a,b): name the key column as"
                + " in the header");
    writeParquetUsers(dir + "/users", new User("u1", "de", 1L));
    assertThatThrownBy(() -> load(HdfsLookup.parquet(dir + "/users", "userId")))
        .hasMessageContaining("has no column userId (its columns are id, country, age)");
    assertThatThrownBy(() -> load(HdfsLookup.parquet(dir + "/bad.jsonl", "id")))
        .hasMessageStartingWith("Lookup table: " + dir + "/bad.jsonl cannot be read as Parquet");
    assertThatThrownBy(() -> load(HdfsLookup.jsonLines(dir + "/missing", "id")))
        .hasMessage(
            "Lookup table "
                + dir
                + "/missing does not exist: check the path and the file system URI");
    write(dir + "/empty/_SUCCESS", "");
    assertThatThrownBy(() -> load(HdfsLookup.jsonLines(dir + "/empty", "id")))
        .hasMessageContaining("is a directory without data files");
  }

  @Test
  void shouldKeepTheOldTableWhenARefreshFindsBadInput() throws Exception {
    String file = newDir() + "/users.jsonl";
    write(file, "{\"id\":\"u1\",\"v\":1}\n");
    try (LookupTable<String, JsonNode> table = load(HdfsLookup.jsonLines(file, "id"))) {
      write(file, "{\"id\":\"u1\",\"v\":2}\n{broken\n");
      table.refresh();
      assertThat(table.refreshFailures()).isEqualTo(1);
      assertThat(table.get("u1").get("v").asInt()).as("the old table stays").isEqualTo(1);
      write(file, "{\"id\":\"u1\",\"v\":3}\n{\"id\":\"u2\",\"v\":4}\n");
      table.refresh();
      assertThat(table.loads()).isEqualTo(2);
      assertThat(table.get("u1").get("v").asInt()).isEqualTo(3);
      assertThat(table.size()).isEqualTo(2);
    }
  }

  @Test
  void shouldRefreshOnItsIntervalWithoutStoppingLookups() throws Exception {
    String file = newDir() + "/users.csv";
    write(file, "id,v\nu1,1\n");
    try (LookupTable<String, JsonNode> table =
        HdfsLookup.csv(file, "id").refresh(Duration.ofMillis(200)).build()) {
      assertThat(table.get("u1").get("v").asText()).isEqualTo("1");
      write(file, "id,v\nu1,2\n");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!"2".equals(table.get("u1").get("v").asText()) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(table.get("u1").get("v").asText()).isEqualTo("2");
    }
  }

  @Test
  void shouldValidateItsSettingsAtOnce() {
    assertThatThrownBy(() -> HdfsLookup.jsonLines("relative/path", "id"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value relative/path for path: must be an absolute path or URI");
    assertThatThrownBy(() -> HdfsLookup.jsonLines("/x", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("key must not be null");
    assertThatThrownBy(() -> HdfsLookup.jsonLines("/x", "id").separator(';'))
        .isInstanceOf(ConfigException.class)
        .hasMessage("separator(...) is for CSV tables only");
    assertThatThrownBy(() -> HdfsLookup.csv("/x", "id").refresh(Duration.ofMillis(5)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid value 5 ms for refresh: must be 0 or at least 100 ms");
    assertThatThrownBy(() -> HdfsLookup.csv("/x", "id").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("HdfsLookup needs a refresh interval");
  }
}
