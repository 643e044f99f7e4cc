package io.sluice.sink.clickhouse.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.errors.ConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The target table's columns and engine, and the statements on its per-batch staging twins. A batch
 * is staged in its own table {@code <table>__sluice_<scope>_<batch>}, created with the target's
 * columns and engine (so ClickHouse accepts {@code ATTACH PARTITION … FROM} it), whose {@code
 * _sluice_batch} column defaults to the batch id: the server fills it, so rows on the wire carry
 * only the record's columns. The scope ({@code OutputScope}) names the app (or shard) and sink, so
 * a start after a lost state directory finds the staging tables its earlier runs left ({@link
 * #scopeTables}) and no other app's. Staging tables of earlier versions carry no scope ({@link
 * #legacyStaging}).
 */
public final class TargetTable {
  public static final String BATCH = "_sluice_batch";

  private static final String RESTAGED = "_restaged";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String database;
  private final String table;

  /** Physical columns (not ALIAS) in table order: name to its definition after the name. */
  private final Map<String, String> definitions;

  /** Columns an insert may set: not MATERIALIZED, not ALIAS. */
  private final List<String> insertable;

  private final String engineFull;
  private final boolean partitioned;
  private final boolean deduplicationToken;

  /** Names the app and sink in staging table names; null for the unscoped description. */
  private final String scope;

  private TargetTable(
      String database,
      String table,
      Map<String, String> definitions,
      List<String> insertable,
      String engineFull,
      boolean partitioned,
      boolean deduplicationToken,
      String scope) {
    this.database = database;
    this.table = table;
    this.definitions = definitions;
    this.insertable = insertable;
    this.engineFull = engineFull;
    this.partitioned = partitioned;
    this.deduplicationToken = deduplicationToken;
    this.scope = scope;
  }

  /** This description with staging tables named for {@code scope} (see {@code OutputScope}). */
  public TargetTable scoped(String scope) {
    return new TargetTable(
        database,
        table,
        definitions,
        insertable,
        engineFull,
        partitioned,
        deduplicationToken,
        scope);
  }

  /** Reads the target's columns and engine and checks that the exactly-once commit can use it. */
  public static TargetTable prepare(ClickHouseHttp http, String database, String table) {
    String qualified = quote(database) + "." + quote(table);
    String describe;
    try {
      describe = http.execute("DESCRIBE TABLE " + qualified + " FORMAT JSONEachRow", null);
    } catch (ClickHouseError e) {
      boolean refused = e.status() == 401 || e.status() == 403;
      throw new ConfigException(
          "ClickHouse table "
              + database
              + "."
              + table
              + " cannot be described at "
              + http.url()
              + (refused
                  ? " (the server refused the credentials: check the sink's credentials(user,"
                      + " password) and the user's grants): "
                  : " (does it exist?): ")
              + e.getMessage(),
          e);
    }
    Map<String, String> definitions = new LinkedHashMap<>();
    Map<String, String> types = new LinkedHashMap<>();
    List<String> insertable = new ArrayList<>();
    try {
      for (String line : describe.split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode c = JSON.readTree(line);
        String name = c.path("name").asText();
        String type = c.path("type").asText();
        String kind = c.path("default_type").asText("");
        String expression = c.path("default_expression").asText("");
        types.put(name, type);
        if (!kind.equals("ALIAS")) {
          definitions.put(name, type + (kind.isEmpty() ? "" : " " + kind + " " + expression));
        }
        if (!kind.equals("MATERIALIZED") && !kind.equals("ALIAS")) {
          insertable.add(name);
        }
      }
    } catch (IOException e) {
      throw new ConfigException("Cannot read the columns of " + database + "." + table, e);
    }
    if (!"String".equals(types.get(BATCH)) || !insertable.contains(BATCH)) {
      throw new ConfigException(
          "ClickHouse table "
              + database
              + "."
              + table
              + " lacks the column the exactly-once commit needs; add it with: ALTER TABLE "
              + qualified
              + " ADD COLUMN "
              + BATCH
              + " String");
    }
    String[] engine =
        http.execute(
                "SELECT engine, engine_full, partition_key, version() FROM system.tables WHERE database = "
                    + literal(database)
                    + " AND name = "
                    + literal(table)
                    + " FORMAT TSVRaw",
                null)
            .split("\t", -1);
    String hasEngine =
        "ClickHouse table " + database + "." + table + " has engine " + engine[0].trim();
    if (engine.length < 4
        || !engine[0].endsWith("MergeTree")
        || engine[0].startsWith("Replicated")) {
      throw new ConfigException(
          hasEngine
              + ": the exactly-once commit attaches staged parts, which needs a (non-replicated)"
              + " MergeTree-family table; use one, e.g. ENGINE = MergeTree ORDER BY …");
    }
    if (!engine[0].equals("MergeTree")) {
      throw new ConfigException(
          hasEngine
              + ": its merges combine or replace rows of different batches, so the rows of a"
              + " committed batch can vanish from the target, and the replay of that batch after a"
              + " crash would attach it again (counting its rows twice). The exactly-once commit"
              + " needs a plain MergeTree target; aggregate from it at query time or with INSERT …"
              + " SELECT into the "
              + engine[0].trim()
              + " table (materialized views do not see attached parts).");
    }
    return new TargetTable(
        database,
        table,
        definitions,
        List.copyOf(insertable),
        engine[1].trim(),
        !engine[2].trim().isEmpty(),
        ClickHouseHttp.supportsDeduplicationToken(engine[3].trim()),
        null);
  }

  public String name() {
    return database + "." + table;
  }

  public String qualified() {
    return quote(database) + "." + quote(table);
  }

  /** The table holding one batch until its commit. */
  public String staging(String batch) {
    return quote(database) + "." + quote(stagingName(batch));
  }

  private String stagingName(String batch) {
    return scopePrefix() + batch;
  }

  /** How the names of this scope's staging tables start. */
  private String scopePrefix() {
    if (scope == null) {
      throw new IllegalStateException("staging tables are named for a scope: use scoped(scope)");
    }
    return table + "__sluice_" + scope + "_";
  }

  /**
   * The tables staging batches of this scope (staging and restaged ones), as TSV lines; {@link
   * #batchOf} reads the batch from each name.
   */
  public String scopeTables() {
    String prefix = scopePrefix();
    return "SELECT name FROM system.tables WHERE database = "
        + literal(database)
        + " AND startsWith(name, "
        + literal(prefix)
        + ") FORMAT TSVRaw";
  }

  /** The batch a table listed by {@link #scopeTables} stages. */
  public String batchOf(String scopeTable) {
    String batch = scopeTable.substring(scopePrefix().length());
    return batch.endsWith(RESTAGED)
        ? batch.substring(0, batch.length() - RESTAGED.length())
        : batch;
  }

  /** The staging table of a batch as versions without scopes named it. */
  public String legacyStaging(String batch) {
    return quote(database) + "." + quote(table + "__sluice_" + batch);
  }

  /** Whether a batch's staging table of an earlier version exists ("1" or "0"). */
  public String legacyStagingExists(String batch) {
    return "EXISTS TABLE " + legacyStaging(batch) + " FORMAT TSV";
  }

  /** Gives a batch's staging table of an earlier version its scoped name (atomic). */
  public String adoptLegacyStaging(String batch) {
    return "RENAME TABLE " + legacyStaging(batch) + " TO " + staging(batch);
  }

  /** Drops a batch's staging table of an earlier version (a no-op when it is gone). */
  public String dropLegacyStaging(String batch) {
    return "DROP TABLE IF EXISTS " + legacyStaging(batch);
  }

  /** Columns a record may set (not the batch columns, not MATERIALIZED or ALIAS ones). */
  public Set<String> recordColumns() {
    Set<String> names = new LinkedHashSet<>(insertable);
    names.remove(BATCH);
    return names;
  }

  /** Whether the server honours {@code insert_deduplication_token} (read with the table). */
  public boolean deduplicationToken() {
    return deduplicationToken;
  }

  /** Whether the target has a partition key (if not, its one partition has the id 'all'). */
  public boolean partitioned() {
    return partitioned;
  }

  /** Creates the staging table of a batch: the target's columns and engine, batch as default. */
  public String createStaging(String batch) {
    return createBatchTable(staging(batch), batch);
  }

  private String createBatchTable(String name, String batch) {
    List<String> columns = new ArrayList<>();
    definitions.forEach(
        (column, definition) ->
            columns.add(
                quote(column)
                    + " "
                    + (column.equals(BATCH) ? "String DEFAULT " + literal(batch) : definition)));
    return "CREATE TABLE IF NOT EXISTS "
        + name
        + " ("
        + String.join(", ", columns)
        + ") ENGINE = "
        + engineFull;
  }

  /** The insert of rows into a batch's staging table; {@code _sluice_batch} comes from default. */
  public String insertStaging(String batch) {
    List<String> columns = new ArrayList<>();
    recordColumns().forEach(c -> columns.add(quote(c)));
    return "INSERT INTO "
        + staging(batch)
        + " ("
        + String.join(", ", columns)
        + ") FORMAT JSONEachRow";
  }

  /** Rows in a batch's staging table. */
  public String countStaged(String batch) {
    return "SELECT count() FROM " + staging(batch);
  }

  /** The partition ids of a staging table's active parts, as TSV lines. */
  public String stagedPartitions(String batch) {
    return "SELECT DISTINCT partition_id FROM system.parts WHERE active AND database = "
        + literal(database)
        + " AND table = "
        + literal(stagingName(batch))
        + " FORMAT TSVRaw";
  }

  /** Whether the staging table of a batch exists ("1" or "0"). */
  public String stagingExists(String batch) {
    return "EXISTS TABLE " + staging(batch) + " FORMAT TSV";
  }

  /** Copies (hard-links) one staged partition into the target: atomic, as one set of parts. */
  public String attach(String batch, String partitionId) {
    return attachFrom(staging(batch), partitionId);
  }

  /** {@link #attach} from the batch's restaged copy. */
  public String attachRestaged(String batch, String partitionId) {
    return attachFrom(restaged(batch), partitionId);
  }

  private String attachFrom(String source, String partitionId) {
    return "ALTER TABLE "
        + qualified()
        + " ATTACH PARTITION ID "
        + literal(partitionId)
        + " FROM "
        + source;
  }

  /** Rows of a batch the target holds in one partition: more than 0 once it was attached. */
  public String countCommitted(String batch, String partitionId) {
    return "SELECT count() FROM "
        + qualified()
        + " WHERE _partition_id = "
        + literal(partitionId)
        + " AND "
        + BATCH
        + " = "
        + literal(batch);
  }

  /** Rows of a batch the target holds. */
  public String countCommitted(String batch) {
    return "SELECT count() FROM " + qualified() + " WHERE " + BATCH + " = " + literal(batch);
  }

  /**
   * The table a batch is copied into when the target changed since it was staged ({@link
   * #createRestaged}); its partitions are then attached from there ({@link #attachRestaged}).
   */
  private String restaged(String batch) {
    return quote(database) + "." + quote(stagingName(batch) + RESTAGED);
  }

  /** A table for a batch with the target's present columns and engine. */
  public String createRestaged(String batch) {
    return createBatchTable(restaged(batch), batch);
  }

  /** The columns of a batch's staging table, as TSV lines. */
  public String stagingColumns(String batch) {
    return "SELECT name FROM system.columns WHERE database = "
        + literal(database)
        + " AND table = "
        + literal(stagingName(batch))
        + " FORMAT TSVRaw";
  }

  /**
   * Columns that can be copied from a batch's staging table with {@code stagedColumns} into a table
   * of the target's present structure: those both have and the target lets be inserted (the batch
   * column among them).
   */
  public List<String> copiedColumns(List<String> stagedColumns) {
    List<String> copied = new ArrayList<>(insertable);
    copied.retainAll(stagedColumns);
    return copied;
  }

  /** Copies a batch's staged rows (their {@code columns}) into its restaged table. */
  public String copyIntoRestaged(String batch, List<String> columns) {
    List<String> quoted = new ArrayList<>();
    columns.forEach(c -> quoted.add(quote(c)));
    String list = String.join(", ", quoted);
    return "INSERT INTO "
        + restaged(batch)
        + " ("
        + list
        + ") SELECT "
        + list
        + " FROM "
        + staging(batch);
  }

  /** Drops a batch's restaged table (a no-op when it is gone). */
  public String dropRestaged(String batch) {
    return "DROP TABLE IF EXISTS " + restaged(batch);
  }

  /** Drops a batch's staging table (a no-op when it is gone). */
  public String dropStaging(String batch) {
    return "DROP TABLE IF EXISTS " + staging(batch);
  }

  static String quote(String identifier) {
    return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`";
  }

  /** Batch and partition ids are [A-Za-z0-9_-] only, so quoting cannot be escaped. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
