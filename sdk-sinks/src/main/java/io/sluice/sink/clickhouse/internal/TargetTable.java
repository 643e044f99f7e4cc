package io.sluice.sink.clickhouse.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.ConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The target table's columns, and its staging twin. The staging table is created {@code AS} the
 * target (same columns, defaults and types) with its own engine: one partition per batch, so a
 * batch is removed by a cheap, synchronous {@code DROP PARTITION} instead of a mutation.
 */
public final class TargetTable {
  public static final String BATCH = "_sluice_batch";
  public static final String SEQ = "_sluice_seq";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String database;
  private final String table;
  private final Map<String, String> insertable;

  private TargetTable(String database, String table, Map<String, String> insertable) {
    this.database = database;
    this.table = table;
    this.insertable = insertable;
  }

  /** Reads the target's columns, checks the batch columns and creates the staging table. */
  public static TargetTable prepare(ClickHouseHttp http, String database, String table) {
    String qualified = quote(database) + "." + quote(table);
    String describe;
    try {
      describe = http.execute("DESCRIBE TABLE " + qualified + " FORMAT JSONEachRow", null);
    } catch (ClickHouseError e) {
      throw new ConfigException(
          "ClickHouse table "
              + database
              + "."
              + table
              + " cannot be described at "
              + http.url()
              + " (does it exist?): "
              + e.getMessage(),
          e);
    }
    Map<String, String> columns = new LinkedHashMap<>();
    try {
      for (String line : describe.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode c = JSON.readTree(line);
        String kind = c.path("default_type").asText("");
        if (!kind.equals("MATERIALIZED") && !kind.equals("ALIAS")) {
          columns.put(c.path("name").asText(), c.path("type").asText());
        }
      }
    } catch (IOException e) {
      throw new ConfigException("Cannot read the columns of " + database + "." + table, e);
    }
    if (!"String".equals(columns.get(BATCH)) || !"UInt32".equals(columns.get(SEQ))) {
      throw new ConfigException(
          "ClickHouse table "
              + database
              + "."
              + table
              + " lacks the columns the exactly-once commit needs; add them with: ALTER TABLE "
              + qualified
              + " ADD COLUMN "
              + BATCH
              + " String, ADD COLUMN "
              + SEQ
              + " UInt32");
    }
    TargetTable t = new TargetTable(database, table, columns);
    http.execute(
        "CREATE TABLE IF NOT EXISTS "
            + t.staging()
            + " AS "
            + t.qualified()
            + " ENGINE = MergeTree PARTITION BY "
            + BATCH
            + " ORDER BY "
            + SEQ,
        null);
    return t;
  }

  public String name() {
    return database + "." + table;
  }

  public String qualified() {
    return quote(database) + "." + quote(table);
  }

  public String staging() {
    return quote(database) + "." + quote(table + "__sluice_stage");
  }

  /** Columns a record may set (not the batch columns, not MATERIALIZED or ALIAS ones). */
  public Set<String> recordColumns() {
    Set<String> names = new java.util.LinkedHashSet<>(insertable.keySet());
    names.remove(BATCH);
    names.remove(SEQ);
    return names;
  }

  /**
   * Moves a staged batch into the target, one row per seq. With {@code guarded}, only the seqs the
   * target does not hold yet: the set is built before any row is inserted, so the statement is
   * idempotent as long as no other statement for the batch runs at the same time (the caller's
   * query id ensures that).
   */
  public String moveStatement(String batch, boolean guarded) {
    List<String> cols = new ArrayList<>();
    insertable.keySet().forEach(c -> cols.add(quote(c)));
    String list = String.join(", ", cols);
    String where = BATCH + " = " + literal(batch);
    return "INSERT INTO "
        + qualified()
        + " ("
        + list
        + ") SELECT "
        + list
        + " FROM "
        + staging()
        + " WHERE "
        + where
        + (guarded
            ? " AND "
                + SEQ
                + " NOT IN (SELECT "
                + SEQ
                + " FROM "
                + qualified()
                + " WHERE "
                + where
                + ")"
            : "")
        + " LIMIT 1 BY "
        + SEQ;
  }

  public String dropStatement(String batch) {
    return "ALTER TABLE " + staging() + " DROP PARTITION " + literal(batch);
  }

  public String countStaged(String batch) {
    return "SELECT uniqExact("
        + SEQ
        + ") FROM "
        + staging()
        + " WHERE "
        + BATCH
        + " = "
        + literal(batch);
  }

  public String countCommitted(String batch) {
    return "SELECT uniqExact("
        + SEQ
        + ") FROM "
        + qualified()
        + " WHERE "
        + BATCH
        + " = "
        + literal(batch);
  }

  public String insertStaging() {
    return "INSERT INTO " + staging() + " FORMAT JSONEachRow";
  }

  static String quote(String identifier) {
    return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`";
  }

  /** Batch ids are [w0-9a-f-] only (see BatchId), so quoting cannot be escaped. */
  static String literal(String batch) {
    return "'" + batch.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
