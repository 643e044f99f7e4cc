package io.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseServerIT {
  @TempDir Path dir;

  @Test
  void shouldInsertJsonEachRowAndCountItBack() {
    try (ClickHouseServer ch = ClickHouseServer.start(dir)) {
      ch.query("CREATE TABLE events (id UInt64, name String) ENGINE = MergeTree ORDER BY id");
      String rows =
          IntStream.range(0, 1000)
              .mapToObj(i -> "{\"id\":" + i + ",\"name\":\"n" + i + "\"}")
              .collect(Collectors.joining("\n"));
      ch.insert("INSERT INTO events FORMAT JSONEachRow", rows);
      assertThat(ch.query("SELECT count(), uniqExact(id) FROM events").trim())
          .isEqualTo("1000\t1000");

      ch.stop();
      ch.start();
      assertThat(ch.query("SELECT count() FROM events").trim()).isEqualTo("1000");
    }
  }
}
