package io.sluice.sink.hdfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.sink.Committable;
import io.sluice.sink.internal.BatchId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

class BatchFilesTest {
  private final BatchId id = new BatchId(3, "0123456789abcdef", 42);
  private final Path base = new Path("hdfs://nn:8020/data/out");

  @Test
  void shouldCarryTheFilesRelativeToTheBaseAndGiveBackTheRegisteredHandle() {
    List<Path> files =
        List.of(
            new Path(base, "orders/2026-11-26/10/.part-w3-0123456789abcdef-42-0.jsonl.inprogress"),
            new Path("hdfs://nn:8020/elsewhere/.part-w3-0123456789abcdef-42-1.jsonl.inprogress"));
    Committable c = BatchFiles.of(id, base, files).toCommittable();

    assertThat(new String(c.bytes(), StandardCharsets.UTF_8))
        .startsWith("w3-0123456789abcdef-42\norders/2026-11-26/10/.part-");
    BatchFiles back = BatchFiles.of(c, "out");
    assertThat(back.id()).isEqualTo(id);
    assertThat(back.paths(base)).isEqualTo(files);
    assertThat(BatchFiles.handleOf(c, "out")).isEqualTo(id.toCommittable());
    // a handle as registered (no files) reads as a batch with no files
    assertThat(BatchFiles.of(id.toCommittable(), "out").files()).isEmpty();
  }

  @Test
  void shouldNameTheSinkWhenTheBytesAreNotABatch() {
    Committable junk = Committable.of("tx-1\nx".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> BatchFiles.of(junk, "out"))
        .hasMessageContaining("Sink out")
        .hasMessageContaining("tx-1");
  }
}
