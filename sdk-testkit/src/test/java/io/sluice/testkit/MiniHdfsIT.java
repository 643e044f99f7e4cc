package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniHdfsIT {
  @TempDir Path dir;

  @Test
  void shouldWriteHflushRenameAndReadBack() throws Exception {
    try (MiniHdfs hdfs = MiniHdfs.start(dir)) {
      FileSystem fs = hdfs.fileSystem();
      org.apache.hadoop.fs.Path inProgress =
          new org.apache.hadoop.fs.Path("/out/.part-0.inprogress");
      org.apache.hadoop.fs.Path committed = new org.apache.hadoop.fs.Path("/out/part-0");
      byte[] data = "line-1\nline-2\n".getBytes(StandardCharsets.UTF_8);
      try (FSDataOutputStream out = fs.create(inProgress)) {
        out.write(data);
        out.hflush();
        assertThat(fs.getFileStatus(inProgress).getLen()).isEqualTo(data.length);
      }
      assertThat(fs.rename(inProgress, committed)).isTrue();
      assertThat(fs.exists(inProgress)).isFalse();
      try (FSDataInputStream in = fs.open(committed)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo("line-1\nline-2\n");
      }
      assertThat(hdfs.uri().getScheme()).isEqualTo("hdfs");
    }
  }
}
