package io.sluice.lookup.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.errors.SourceException;
import io.sluice.lookup.LookupTable;
import io.sluice.testkit.ClickHouseServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The ClickHouse lookup loader against a real clickhouse-server 18.16. */
class ClickHouseLookupIT {
  private static ClickHouseServer ch;

  @BeforeAll
  static void startClickHouse() throws Exception {
    ch =
        ClickHouseServer.start(
            Files.createTempDirectory(
                Files.createDirectories(Path.of("target")), "clickhouse-lookup-it"));
  }

  @AfterAll
  static void stopClickHouse() {
    if (ch != null) {
      ch.close();
    }
  }

  private static String newTable() {
    String table = "experiments_" + System.nanoTime();
    ch.query(
        "CREATE TABLE "
            + table
            + " (id UInt64, variant String, active UInt8) ENGINE = MergeTree ORDER BY id");
    return table;
  }

  @Test
  void shouldLoadTheRowsOfAQueryKeyedByAColumnAndSeeNewRowsOnRefresh() throws Exception {
    String table = newTable();
    ch.query("INSERT INTO " + table + " VALUES (1, 'a', 1), (2, 'b', 1), (3, 'c', 0)");
    try (LookupTable<String, JsonNode> lookup =
        ClickHouseLookup.builder()
            .url(ch.httpUrl())
            .query("SELECT id, variant FROM " + table + " WHERE active = 1;")
            .keyColumn("id")
            .refresh(Duration.ofMillis(200))
            .build()) {
      assertThat(lookup.size()).isEqualTo(2);
      assertThat(lookup.get("1").get("variant").asText()).isEqualTo("a");
      assertThat(lookup.get("2").get("id").asLong()).isEqualTo(2);
      assertThat(lookup.get("3")).as("filtered out by the query").isNull();

      ch.query("INSERT INTO " + table + " VALUES (4, 'd', 1)");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (lookup.get("4") == null && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(lookup.get("4")).as("loaded by a background refresh").isNotNull();
      assertThat(lookup.get("4").get("variant").asText()).isEqualTo("d");
      assertThat(lookup.loads()).isGreaterThanOrEqualTo(2);
      assertThat(lookup.refreshFailures()).isZero();
    }
  }

  @Test
  void shouldNameTheQueryAndTheServersMessageWhenTheQueryIsRefused() {
    String query = "SELECT id FROM no_such_table_" + System.nanoTime();
    assertThatThrownBy(
            () ->
                ClickHouseLookup.builder()
                    .url(ch.httpUrl())
                    .query(query)
                    .keyColumn("id")
                    .refresh(Duration.ZERO)
                    .build())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining(query)
        .hasMessageContaining("Code: 60")
        .hasMessageContaining("doesn't exist");
  }

  @Test
  void shouldNameTheKeyColumnWhenTheQueryDoesNotSelectIt() {
    String table = newTable();
    ch.query("INSERT INTO " + table + " VALUES (1, 'a', 1)");
    assertThatThrownBy(
            () ->
                ClickHouseLookup.builder()
                    .url(ch.httpUrl())
                    .query("SELECT variant FROM " + table)
                    .keyColumn("id")
                    .refresh(Duration.ZERO)
                    .build())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("key column 'id'")
        .hasMessageContaining("SELECT variant FROM " + table);
  }

  @Test
  void shouldKeepThePreviousTableWhenARefreshFails() {
    String table = newTable();
    ch.query("INSERT INTO " + table + " VALUES (1, 'a', 1)");
    try (LookupTable<String, JsonNode> lookup =
        ClickHouseLookup.builder()
            .url(ch.httpUrl())
            .query("SELECT id, variant FROM " + table)
            .keyColumn("id")
            .refresh(Duration.ZERO)
            .build()) {
      ch.query("DROP TABLE " + table);
      lookup.refresh();
      assertThat(lookup.refreshFailures()).isEqualTo(1);
      assertThat(lookup.get("1").get("variant").asText()).isEqualTo("a");
    }
  }
}
