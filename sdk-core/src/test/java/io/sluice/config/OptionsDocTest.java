package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OptionsDocTest {
  @Test
  void shouldKeepTheReadmeConfigurationTableGeneratedFromTheOptions() throws Exception {
    String readme = Files.readString(Path.of("..", "README.md"));
    String begin = "<!-- options:begin -->\n";
    String table =
        readme.substring(
            readme.indexOf(begin) + begin.length(), readme.indexOf("<!-- options:end -->"));
    assertThat(table)
        .as("README.md configuration table; regenerate it from Options.markdownTable()")
        .isEqualTo(Options.markdownTable());
  }
}
