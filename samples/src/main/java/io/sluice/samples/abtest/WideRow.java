package io.sluice.samples.abtest;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.window.WindowResult;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the AB-test wide table: the hour, the experiment and variant, the experiment's
 * attributes from the offline table (and which version of the table gave them), and the measures.
 */
record WideRow(long hour, String experiment, String variant, JsonNode table, WideCounts counts) {
  static final DateTimeFormatter CLICKHOUSE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  static WideRow of(WindowResult<String, WideCounts> window, JsonNode table) {
    String[] key = window.key().split("\\|", 2);
    return new WideRow(window.windowStart(), key[0], key[1], table, window.value());
  }

  /** The ClickHouse row (columns of {@link AbMain#createTable}). */
  Map<String, Object> toColumns() {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("hour", CLICKHOUSE_TIME.format(Instant.ofEpochMilli(hour)));
    row.put("experiment", experiment);
    row.put("variant", variant);
    row.put("experiment_name", table == null ? "" : table.path("name").asText());
    row.put("owner", table == null ? "" : table.path("owner").asText());
    row.put("table_version", table == null ? 0 : table.path("version").asInt());
    row.put("exposures", counts.exposures);
    row.put("clicks", counts.clicks);
    row.put("orders", counts.orders);
    row.put("revenue", counts.revenueCents / 100.0);
    row.put("users", counts.users.size());
    return row;
  }
}
