package io.sluice.lookup.hdfs;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.errors.ConfigException;
import io.sluice.lookup.LookupTable;
import io.sluice.lookup.hdfs.internal.CsvRows;
import io.sluice.lookup.hdfs.internal.JsonLinesRows;
import io.sluice.lookup.hdfs.internal.LookupFiles;
import io.sluice.lookup.hdfs.internal.ParquetRows;
import io.sluice.sink.internal.Checks;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;

/**
 * An offline table for {@link LookupTable} enrichment, read from any Hadoop file system path
 * ({@code hdfs://namenode:8020/dim/users}, {@code file:///data/users}, {@code /data/users}) in JSON
 * lines, CSV or Parquet. The path is one file or a directory: every data file below it is read,
 * oldest first (by modification time, then path), skipping names that start with {@code .} or
 * {@code _} (in-progress files, {@code _SUCCESS} markers), so a directory an {@link HdfsSink}
 * writes can be looked up as it is. Text files ending in {@code .gz} are gunzipped. Rows become
 * JSON objects keyed by the text of the key field; a later row replaces an earlier one with the
 * same key, so updates written later win (part names alone do not sort by time).
 *
 * <pre>{@code
 * LookupTable<String, JsonNode> users =
 *     HdfsLookup.parquet("hdfs://namenode:8020/dim/users", "userId")
 *         .refresh(Duration.ofMinutes(10))
 *         .build();
 * clicks.lookupJoin(users, Click::userId, (click, user) -> click.withCountry(user.path("country").asText()));
 * }</pre>
 *
 * <p><b>Bad input.</b> A malformed line (invalid JSON, a CSV line with the wrong number of fields
 * or an unclosed quote), a row without a key, a missing key column, a missing path or a directory
 * without data files fails the whole load with a {@code SluiceException} naming the file and the
 * line (or row) and how to fix it: nothing is loaded half. The first load happens in {@link
 * Builder#build()} and must succeed; a failed refresh keeps the table in use (see {@link
 * LookupTable}).
 */
public final class HdfsLookup {
  private HdfsLookup() {}

  /** JSON lines: one object per line, keyed by the field {@code keyField}. */
  public static Builder jsonLines(String path, String keyField) {
    return new Builder(Format.JSON_LINES, path, keyField);
  }

  /** CSV with a header line (RFC 4180 quoting), keyed by the column {@code keyColumn}. */
  public static Builder csv(String path, String keyColumn) {
    return new Builder(Format.CSV, path, keyColumn);
  }

  /** Parquet files, keyed by the column {@code keyColumn}. */
  public static Builder parquet(String path, String keyColumn) {
    return new Builder(Format.PARQUET, path, keyColumn);
  }

  private enum Format {
    JSON_LINES,
    CSV,
    PARQUET
  }

  /** Settings of one table; each setter validates at once. */
  public static final class Builder {
    private final Format format;
    private final URI location;
    private final String key;
    private String name;
    private Configuration conf;
    private Duration refresh;
    private Character separator;

    private Builder(Format format, String path, String key) {
      Objects.requireNonNull(path, "path must not be null");
      Objects.requireNonNull(key, "key must not be null");
      if (key.isBlank()) {
        throw new ConfigException("Invalid value '' for key: must name a field or column");
      }
      try {
        this.location = URI.create(path);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("Invalid value " + path + " for path: " + e.getMessage(), e);
      }
      if (location.getPath() == null || !location.getPath().startsWith("/")) {
        throw new ConfigException(
            "Invalid value " + path + " for path: must be an absolute path or URI");
      }
      this.format = format;
      this.key = key;
    }

    /** The table's name in logs and thread names (default: the path's last segment). */
    public Builder name(String name) {
      this.name = Checks.simpleName(name, "name");
      return this;
    }

    /** Hadoop settings (default: a new {@code Configuration}, i.e. the classpath's site files). */
    public Builder configuration(Configuration conf) {
      this.conf = new Configuration(Objects.requireNonNull(conf, "conf must not be null"));
      return this;
    }

    /** How often the table is read again in the background; {@code Duration.ZERO}: never. */
    public Builder refresh(Duration every) {
      Objects.requireNonNull(every, "every must not be null");
      if (every.isNegative() || (!every.isZero() && every.toMillis() < 100)) {
        throw new ConfigException(
            "Invalid value " + every.toMillis() + " ms for refresh: must be 0 or at least 100 ms");
      }
      this.refresh = every;
      return this;
    }

    /** The CSV field separator (default {@code ,}); CSV only. */
    public Builder separator(char separator) {
      if (format != Format.CSV) {
        throw new ConfigException("separator(...) is for CSV tables only");
      }
      if (separator == '"' || separator == '\n' || separator == '\r') {
        throw new ConfigException(
            "Invalid value '" + separator + "' for separator: must not be a quote or line break");
      }
      this.separator = separator;
      return this;
    }

    /**
     * The loader alone, for {@link LookupTable#of} or a custom refresh: each call reads the path
     * afresh into a new map.
     */
    public Supplier<Map<String, JsonNode>> loader() {
      LookupFiles files =
          new LookupFiles(location, conf != null ? conf : new Configuration(), rowReader());
      return files::load;
    }

    private LookupFiles.RowReader rowReader() {
      return switch (format) {
        case JSON_LINES -> new JsonLinesRows(key);
        case CSV -> new CsvRows(key, separator != null ? separator : ',');
        case PARQUET -> new ParquetRows(key);
      };
    }

    /** Loads the table now (this load must succeed) and starts its refreshes. */
    public LookupTable<String, JsonNode> build() {
      if (refresh == null) {
        throw new ConfigException(
            "HdfsLookup needs a refresh interval: call refresh(...) (Duration.ZERO: load once)");
      }
      return LookupTable.of(name != null ? name : defaultName(), loader(), refresh);
    }

    private String defaultName() {
      String path = location.getPath().replaceAll("/+$", "");
      String last = path.substring(path.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
      return last.isEmpty() ? "lookup" : last.substring(0, Math.min(64, last.length()));
    }
  }
}
