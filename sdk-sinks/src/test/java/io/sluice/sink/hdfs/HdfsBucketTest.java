package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Buckets come from data: one that would break the committable (a newline) or leave the base path
 * ("..", a leading '/') is a bad record with a clear message, and the good records of the same
 * batch commit normally, inside the base path.
 */
class HdfsBucketTest {
  @TempDir Path root;

  @ParameterizedTest
  @ValueSource(strings = {"a\nb", "../escape", "x/../../escape", "/abs", "a//b", "", "c:d", "."})
  void shouldTreatABucketThatIsNoPathBelowTheBaseAsABadRecord(String bad) throws IOException {
    Path base = root.resolve("base");
    HdfsSink<String> sink =
        HdfsSink.<String>builder()
            .name("files")
            .basePath(base.toUri().toString())
            .lines(s -> s)
            .bucket(s -> s.startsWith("bad") ? bad : "ok")
            .build();
    TestSinkContext ctx = new TestSinkContext("files", 0, TestSinkContext.Policy.SKIP);
    Committable c;
    try (SinkWriter<String> writer = sink.createWriter(ctx)) {
      writer.write("good1");
      writer.write("bad1");
      writer.write("good2");
      c = writer.prepareCommit(1).join();
    }
    try (Committer committer = sink.createCommitter(ctx)) {
      committer.commit(c);
    }
    assertThat(ctx.badRecords()).hasSize(1);
    assertThat(ctx.badRecords().get(0).record()).isEqualTo("bad1");
    assertThat(ctx.badRecords().get(0).cause()).hasMessageStartingWith("Invalid bucket '");
    List<String> files = files(root);
    assertThat(files).hasSize(1).allMatch(f -> f.startsWith("base/ok/part-"));
    assertThat(Files.readAllLines(root.resolve(files.get(0)))).containsExactly("good1", "good2");
  }

  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).toList();
    }
  }
}
