package io.sluice.lookup;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.lookup.internal.CsvTableLoader;
import io.sluice.lookup.internal.JsonLinesReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An offline (batch) table for enrichment: loaded whole, then refreshed on an interval by a
 * background thread without stopping the stream — each refresh builds a new map and swaps it in
 * atomically, so a lookup sees either the old table or the new one, never a mix. A failed refresh
 * keeps the previous table and is logged and counted.
 *
 * <pre>{@code
 * LookupTable<String, JsonNode> experiments =
 *     LookupTable.jsonLines(Path.of("/data/experiments.jsonl"), "experimentId", Duration.ofMinutes(5));
 * clicks.lookupJoin(experiments, Click::experimentId, (click, exp) -> click.withVariant(exp));
 * }</pre>
 *
 * <p>Lookups are not part of checkpoints: after a restart the current table is used (enrichment
 * data is taken "as of processing time").
 */
public final class LookupTable<K, V> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LookupTable.class);

  private final String name;
  private final Supplier<Map<K, V>> loader;
  private final ScheduledExecutorService refresher;
  private final AtomicLong refreshFailures = new AtomicLong();
  private final AtomicLong loads = new AtomicLong();
  private volatile Map<K, V> current;

  private LookupTable(String name, Supplier<Map<K, V>> loader, Duration refresh) {
    this.name = name;
    this.loader = loader;
    this.current = Map.copyOf(loader.get());
    loads.incrementAndGet();
    if (refresh.isZero()) {
      this.refresher = null;
    } else {
      this.refresher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "sluice-lookup-" + name + "-refresh-0");
                t.setDaemon(true);
                return t;
              });
      long every = refresh.toMillis();
      refresher.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * A table from any loader (a file, an HDFS path, a ClickHouse query...), refreshed every {@code
   * refresh} (zero: never). The first load happens now and must succeed.
   */
  public static <K, V> LookupTable<K, V> of(
      String name, Supplier<Map<K, V>> loader, Duration refresh) {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    Objects.requireNonNull(refresh, "refresh must not be null");
    return new LookupTable<>(name, loader, refresh);
  }

  /**
   * A JSON-lines file keyed by the text of {@code keyField}; each row is a JSON object. A line that
   * is not a JSON object or has no scalar value for {@code keyField} is an error naming the file
   * and the line.
   */
  public static LookupTable<String, JsonNode> jsonLines(
      Path file, String keyField, Duration refresh) {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(keyField, "keyField must not be null");
    return of(
        file.getFileName().toString(),
        () -> {
          Map<String, JsonNode> rows = new HashMap<>();
          try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonLinesReader.read(in, file, keyField, rows);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read lookup table " + file, e);
          }
          return rows;
        },
        refresh);
  }

  /**
   * A CSV file keyed by the column {@code keyColumn}: the first row names the columns, each value
   * is an unmodifiable map of column name to field text (in header order). Quoted fields may hold
   * commas, quotes ({@code ""}) and line breaks. The load is strict: a row with more or fewer
   * fields than the header, an unterminated quote, an empty or repeated key, or a header without
   * {@code keyColumn} is an error naming the file and the line (at the first load it fails the
   * call; at a refresh the previous table is kept, see {@link #refresh}).
   *
   * <pre>{@code
   * LookupTable<String, Map<String, String>> countries =
   *     LookupTable.csv(Path.of("/data/countries.csv"), "code", Duration.ofHours(1));
   * String name = countries.get("FR").get("name");
   * }</pre>
   */
  public static LookupTable<String, Map<String, String>> csv(
      Path file, String keyColumn, Duration refresh) {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(keyColumn, "keyColumn must not be null");
    return of(file.getFileName().toString(), new CsvTableLoader(file, keyColumn), refresh);
  }

  /** The value for {@code key} in the current table, or {@code null} (also for a null key). */
  public V get(K key) {
    return key == null ? null : current.get(key);
  }

  public int size() {
    return current.size();
  }

  /** Successful loads so far (the first one included). */
  public long loads() {
    return loads.get();
  }

  public long refreshFailures() {
    return refreshFailures.get();
  }

  /** Reloads now, on the caller's thread. */
  public void refresh() {
    try {
      current = Map.copyOf(loader.get());
      loads.incrementAndGet();
    } catch (RuntimeException e) {
      refreshFailures.incrementAndGet();
      LOG.warn(
          "lookup table {}: refresh failed, keeping the previous table: {}", name, e.toString());
    }
  }

  @Override
  public void close() {
    if (refresher != null) {
      refresher.shutdownNow();
    }
  }
}
