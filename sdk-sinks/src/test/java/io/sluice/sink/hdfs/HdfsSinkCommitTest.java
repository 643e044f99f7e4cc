package io.sluice.sink.hdfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CommitLostException;
import io.sluice.sink.Committable;
import io.sluice.sink.Committer;
import io.sluice.sink.SinkWriter;
import io.sluice.sink.internal.BatchId;
import io.sluice.testkit.sink.TestSinkContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit of the HDFS sink on the local file system: the committable names the batch's files, a
 * replayed commit changes nothing, a checkpoint of the earlier format (a batch id alone) still
 * commits its files, and a file that vanished fails loudly.
 */
class HdfsSinkCommitTest {
  @TempDir Path dir;

  private HdfsSink<String> sink() {
    return HdfsSink.<String>builder()
        .name("files")
        .basePath(dir.toUri().toString())
        .lines(s -> s)
        .bucket(s -> "b=" + s.charAt(0))
        .build();
  }

  private List<String> visible() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .filter(f -> !f.startsWith(".sluice/")) // the sink's list of open batches
          .sorted()
          .toList();
    }
  }

  /** The sink's list of open batches ({@code .sluice/<scope>/<batch>}). */
  private List<String> openBatches() throws IOException {
    Path list = dir.resolve(".sluice");
    if (!Files.exists(list)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(list)) {
      return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
    }
  }

  @Test
  void shouldRenameTheFilesTheCommittableNamesAndIgnoreAReplay() throws IOException {
    HdfsSink<String> sink = sink();
    TestSinkContext ctx = new TestSinkContext("files", 0);
    Committable c;
    try (SinkWriter<String> writer = sink.createWriter(ctx)) {
      writer.write("a1");
      writer.write("b1");
      writer.write("a2");
      c = writer.prepareCommit(1).join();
    }
    assertThat(visible()).allMatch(f -> f.contains("/.part-") && f.endsWith(".inprogress"));
    try (Committer committer = sink.createCommitter(ctx)) {
      assertThat(ctx.pending()).containsExactly(committer.pendingHandleOf(c));
      assertThat(new String(c.bytes(), StandardCharsets.UTF_8).lines())
          .hasSize(3) // the batch id and two files (one per bucket)
          .first()
          .isEqualTo(new String(ctx.pending().get(0).bytes(), StandardCharsets.UTF_8));
      assertThat(openBatches()).as("listed as open until committed").hasSize(1);
      committer.commit(c);
      committer.commit(c);
    }
    assertThat(openBatches()).isEmpty();
    List<String> files = visible();
    assertThat(files).hasSize(2).allMatch(f -> f.matches("b=[ab]/part-w0-.*-1-\\d\\.jsonl"));
    assertThat(Files.readAllLines(dir.resolve(files.get(0)))).containsExactly("a1", "a2");
  }

  @Test
  void shouldCommitACheckpointOfTheEarlierFormatByFindingTheBatchFilesByName() throws IOException {
    BatchId id = new BatchId(0, "0123456789abcdef", 7);
    Path hidden = dir.resolve("b=a/.part-" + id + "-0.jsonl.inprogress");
    Files.createDirectories(hidden.getParent());
    Files.writeString(hidden, "a1\n");
    Files.writeString(dir.resolve("b=a/.part-w0-0123456789abcdef-8-0.jsonl.inprogress"), "x\n");
    try (Committer committer = sink().createCommitter(new TestSinkContext("files", 0))) {
      committer.commit(id.toCommittable());
    }
    assertThat(visible())
        .containsExactly(
            "b=a/.part-w0-0123456789abcdef-8-0.jsonl.inprogress",
            "b=a/part-w0-0123456789abcdef-7-0.jsonl");
  }

  @Test
  void shouldFailLoudlyWhenAFileOfACompletedCheckpointIsGone() {
    String lost = "w0-0123456789abcdef-3\nb=a/.part-w0-0123456789abcdef-3-0.jsonl.inprogress";
    try (Committer committer = sink().createCommitter(new TestSinkContext("files", 0))) {
      assertThatThrownBy(
              () -> committer.commit(Committable.of(lost.getBytes(StandardCharsets.UTF_8))))
          .isInstanceOf(CommitLostException.class)
          .hasMessageContaining("Sink files: file ")
          .hasMessageContaining("of a completed checkpoint is lost");
    }
  }
}
