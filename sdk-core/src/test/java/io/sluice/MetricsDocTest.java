package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.metrics.Metric;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MetricsDocTest {
  @Test
  void shouldKeepTheReadmeMetricsTableGeneratedFromTheCatalogue() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String begin = "<!-- metrics:begin -->\n";
    String table =
        readme.substring(
            readme.indexOf(begin) + begin.length(), readme.indexOf("<!-- metrics:end -->"));
    assertThat(table)
        .as("README.md metrics table; regenerate it from Metric.markdownTable()")
        .isEqualTo(Metric.markdownTable());
  }
}
