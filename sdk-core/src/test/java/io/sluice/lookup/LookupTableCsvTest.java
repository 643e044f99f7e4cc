package io.sluice.lookup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookupTableCsvTest {
  @TempDir Path dir;

  private Path write(String csv) throws Exception {
    Path file = dir.resolve("table.csv");
    Files.writeString(file, csv);
    return file;
  }

  @Test
  void shouldKeyRowsByTheNamedColumnWithQuotedFields() throws Exception {
    Path file =
        write(
            "name,code,note\n"
                + "France,FR,\"wine, cheese\"\n"
                + "\"Côte d'Ivoire\",CI,\"said \"\"hi\"\"\"\n"
                + "\n"
                + "Spain,ES,\"two\nlines\"\n"
                + "Chad,TD,\n");
    try (LookupTable<String, Map<String, String>> table =
        LookupTable.csv(file, "code", Duration.ZERO)) {
      assertThat(table.size()).isEqualTo(4);
      assertThat(table.get("FR"))
          .containsExactly(
              Map.entry("name", "France"),
              Map.entry("code", "FR"),
              Map.entry("note", "wine, cheese"));
      assertThat(table.get("CI").get("name")).isEqualTo("Côte d'Ivoire");
      assertThat(table.get("CI").get("note")).isEqualTo("said \"hi\"");
      assertThat(table.get("ES").get("note")).isEqualTo("two\nlines");
      assertThat(table.get("TD").get("note")).isEmpty();
      assertThat(table.get("XX")).isNull();
    }
  }

  @Test
  void shouldNameFileAndLineOfABadRow() throws Exception {
    Path tooMany = write("name,code\nFrance,FR\nSpain,ES,extra\n");
    assertThatThrownBy(() -> LookupTable.csv(tooMany, "code", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("line 3 of CSV lookup table " + tooMany + ": ")
        .hasMessageContaining("Too many entries");
    Path tooFew = write("name,code,note\nFrance,FR,x\nSpain,ES\n");
    assertThatThrownBy(() -> LookupTable.csv(tooFew, "code", Duration.ZERO))
        .hasMessageStartingWith("line 3 of CSV lookup table " + tooFew + ": ")
        .hasMessageContaining("Not enough column values");
    Path unterminated = write("name,code\nFrance,FR\n\"Spain,ES\n");
    assertThatThrownBy(() -> LookupTable.csv(unterminated, "code", Duration.ZERO))
        .hasMessageContaining("of CSV lookup table " + unterminated)
        .hasMessageContaining("quote");
  }

  @Test
  void shouldRefuseMissingKeyColumnEmptyKeysAndRepeatedKeys() throws Exception {
    Path noKey = write("name,iso\nFrance,FR\n");
    assertThatThrownBy(() -> LookupTable.csv(noKey, "code", Duration.ZERO))
        .hasMessage(
            "line 1 of CSV lookup table "
                + noKey
                + ": no column code in the header [name, iso]: fix the key column name");
    Path emptyKey = write("name,code\nFrance,FR\nNowhere,\n");
    assertThatThrownBy(() -> LookupTable.csv(emptyKey, "code", Duration.ZERO))
        .hasMessage("line 3 of CSV lookup table " + emptyKey + ": empty key column code");
    Path repeated = write("name,code\nFrance,FR\nSpain,ES\nFrench Republic,FR\n");
    assertThatThrownBy(() -> LookupTable.csv(repeated, "code", Duration.ZERO))
        .hasMessage("line 4 of CSV lookup table " + repeated + ": key FR already on line 2");
    Path empty = write("");
    assertThatThrownBy(() -> LookupTable.csv(empty, "code", Duration.ZERO))
        .hasMessageContaining("the first row must name the columns");
    assertThatThrownBy(() -> LookupTable.csv(dir.resolve("missing.csv"), "code", Duration.ZERO))
        .hasMessageContaining("cannot read lookup table")
        .hasMessageContaining("missing.csv");
  }

  @Test
  void shouldKeepThePreviousTableWhenARefreshFindsABadRow() throws Exception {
    Path file = write("name,code\nFrance,FR\n");
    try (LookupTable<String, Map<String, String>> table =
        LookupTable.csv(file, "code", Duration.ZERO)) {
      Files.writeString(file, "name,code\nFrance,FR\nSpain,ES,extra\n");
      table.refresh();
      assertThat(table.refreshFailures()).isEqualTo(1);
      assertThat(table.size()).isEqualTo(1);
      Files.writeString(file, "name,code\nFrance,FR\nSpain,ES\n");
      table.refresh();
      assertThat(table.loads()).isEqualTo(2);
      assertThat(table.get("ES").get("name")).isEqualTo("Spain");
    }
  }

  @Test
  void shouldRefuseNulls() {
    assertThatThrownBy(() -> LookupTable.csv(null, "code", Duration.ZERO))
        .hasMessage("file must not be null");
    assertThatThrownBy(() -> LookupTable.csv(dir.resolve("x.csv"), null, Duration.ZERO))
        .hasMessage("keyColumn must not be null");
  }
}
