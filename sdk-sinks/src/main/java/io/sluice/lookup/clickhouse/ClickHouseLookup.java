package io.sluice.lookup.clickhouse;

import static io.sluice.sink.internal.Checks.atLeast;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.lookup.LookupTable;
import io.sluice.sink.clickhouse.internal.ClickHouseError;
import io.sluice.sink.clickhouse.internal.ClickHouseHttp;
import io.sluice.sink.internal.Checks;
import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An offline table for the lookup join, loaded from a ClickHouse query over HTTP (JSONEachRow, so
 * it works with servers as old as 18.16) and refreshed on an interval. Each row becomes a JSON
 * object keyed by the text of one of its columns.
 *
 * <pre>{@code
 * LookupTable<String, JsonNode> experiments = ClickHouseLookup.builder()
 *     .url("http://127.0.0.1:8123")
 *     .query("SELECT experiment_id, variant, owner FROM experiments WHERE active")
 *     .keyColumn("experiment_id")
 *     .refresh(Duration.ofMinutes(5))
 *     .build();
 * clicks.lookupJoin(experiments, Click::experimentId, (click, exp) -> click.withVariant(exp));
 * }</pre>
 *
 * <p>The first load happens in {@link Builder#build()} and must succeed: a query the server refuses
 * fails there, naming the query and the server's message. A later refresh that fails keeps the
 * previous table (see {@link LookupTable}). A key appearing in two rows keeps the last one; a row
 * without the key column fails the load, naming the column. Numbers keep ClickHouse's JSON form
 * (64-bit integers come quoted); read them with {@code asLong()}.
 */
public final class ClickHouseLookup {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClickHouseLookup() {}

  public static Builder builder() {
    return new Builder();
  }

  /** Settings of a ClickHouse lookup table; each setter validates its value at once. */
  public static final class Builder {
    private String name;
    private String url;
    private String database = "default";
    private String user;
    private Secret password;
    private TlsTrust trust;
    private String query;
    private String keyColumn;
    private Duration refresh = Duration.ofMinutes(5);
    private Duration requestTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /** The table's name in logs and thread names (default {@code clickhouse-<keyColumn>}). */
    public Builder name(String name) {
      this.name = Checks.simpleName(name, "name");
      return this;
    }

    /** The HTTP interface, e.g. {@code http://127.0.0.1:8123}. */
    public Builder url(String url) {
      this.url = Checks.httpUrl(url, "url");
      return this;
    }

    /** The database unqualified table names in the query refer to (default {@code default}). */
    public Builder database(String database) {
      this.database = Objects.requireNonNull(database, "database must not be null");
      return this;
    }

    public Builder credentials(String user, String password) {
      this.user = Objects.requireNonNull(user, "user must not be null");
      this.password = Secret.of(Objects.requireNonNull(password, "password must not be null"));
      return this;
    }

    /**
     * For an {@code https} URL: trust the certificates in this key store ({@code PKCS12} or {@code
     * JKS}) instead of the JVM's default trust.
     */
    public Builder trustStore(Path file, String type, String password) {
      this.trust = TlsTrust.of(file, type, password);
      return this;
    }

    /** A SELECT without a FORMAT clause (the loader adds {@code FORMAT JSONEachRow}). */
    public Builder query(String query) {
      Objects.requireNonNull(query, "query must not be null");
      String trimmed = query.strip();
      while (trimmed.endsWith(";")) {
        trimmed = trimmed.substring(0, trimmed.length() - 1).strip();
      }
      if (trimmed.isEmpty()) {
        throw new ConfigException("Invalid value '' for query: must be a SELECT");
      }
      if (trimmed.matches("(?is).*\\bFORMAT\\s+\\w+\\s*$")) {
        throw new ConfigException(
            "Invalid value '"
                + query
                + "' for query: leave out the FORMAT clause (rows are read as JSONEachRow)");
      }
      this.query = trimmed;
      return this;
    }

    /** The column whose text is the lookup key; the query must select it. */
    public Builder keyColumn(String column) {
      Objects.requireNonNull(column, "column must not be null");
      if (column.isBlank()) {
        throw new ConfigException("Invalid value '' for keyColumn: must not be blank");
      }
      this.keyColumn = column;
      return this;
    }

    /** How often the table is loaded again (default 5 minutes; zero: never). */
    public Builder refresh(Duration refresh) {
      this.refresh = atLeast(refresh, Duration.ZERO, "refresh");
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = atLeast(timeout, Duration.ofSeconds(1), "requestTimeout");
      return this;
    }

    /** Loads the table now (failing if the query fails) and starts its refreshes. */
    public LookupTable<String, JsonNode> build() {
      if (url == null) {
        throw new ConfigException(
            "ClickHouseLookup needs a server: call url(\"http://host:8123\")");
      }
      if (query == null) {
        throw new ConfigException("ClickHouseLookup needs a query: call query(\"SELECT ...\")");
      }
      if (keyColumn == null) {
        throw new ConfigException("ClickHouseLookup needs a key column: call keyColumn(...)");
      }
      String table =
          name != null ? name : "clickhouse-" + keyColumn.replaceAll("[^A-Za-z0-9._-]", "_");
      ClickHouseHttp http =
          new ClickHouseHttp(url, database, user, password, trust, requestTimeout);
      String sql = query;
      String key = keyColumn;
      return LookupTable.of(table, () -> load(http, table, sql, key), refresh);
    }
  }

  private static Map<String, JsonNode> load(
      ClickHouseHttp http, String table, String query, String keyColumn) {
    String answer;
    try {
      answer = http.execute(query + " FORMAT JSONEachRow", null);
    } catch (ClickHouseError e) {
      throw new SourceException(
          "Lookup table "
              + table
              + ": ClickHouse at "
              + http.url()
              + " refused the query ["
              + query
              + "]: "
              + (e.body() != null ? e.body().trim() : e.getMessage()),
          e);
    }
    Map<String, JsonNode> rows = new HashMap<>();
    int n = 0;
    for (String line : answer.split("\n")) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode row;
      try {
        row = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        throw new SourceException(
            "Lookup table " + table + ": row " + n + " of [" + query + "] is not JSON: " + line, e);
      }
      JsonNode key = row.get(keyColumn);
      if (key == null || key.isNull()) {
        throw new SourceException(
            "Lookup table "
                + table
                + ": row "
                + n
                + " of ["
                + query
                + "] has no value for the key column '"
                + keyColumn
                + "' (select it, or fix keyColumn); the row: "
                + line);
      }
      rows.put(key.asText(), row);
    }
    return rows;
  }
}
