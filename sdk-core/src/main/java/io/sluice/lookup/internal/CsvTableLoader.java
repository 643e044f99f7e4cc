package io.sluice.lookup.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Loads a CSV file (RFC 4180 as Jackson's CSV module reads it: a header row naming the columns,
 * fields quoted with {@code "} when they hold commas, quotes or line breaks, {@code ""} for a
 * quote) into rows keyed by one column. Strict, because a lookup table that silently lost rows
 * would enrich wrongly: a row with more or fewer fields than the header, an unterminated quote, an
 * empty key or a key seen before is an error naming the file and the line.
 */
public final class CsvTableLoader implements Supplier<Map<String, Map<String, String>>> {
  private static final CsvMapper MAPPER = new CsvMapper();

  private final Path file;
  private final String keyColumn;
  private final ObjectReader reader;

  public CsvTableLoader(Path file, String keyColumn) {
    this.file = file;
    this.keyColumn = keyColumn;
    this.reader =
        MAPPER
            .readerForMapOf(String.class)
            .with(CsvSchema.emptySchema().withHeader())
            .with(CsvParser.Feature.FAIL_ON_MISSING_COLUMNS)
            .with(CsvParser.Feature.SKIP_EMPTY_LINES);
  }

  @Override
  public Map<String, Map<String, String>> get() {
    Map<String, Map<String, String>> rows = new HashMap<>();
    Map<String, Long> lineOfKey = new HashMap<>();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      MappingIterator<Map<String, String>> it;
      try {
        it = reader.readValues(in); // reads the header row
      } catch (JsonProcessingException e) {
        throw bad(1, e.getOriginalMessage() + " (the first row must name the columns)", e);
      }
      List<String> columns = header(it);
      while (true) {
        long line = it.getParser().currentLocation().getLineNr();
        Map<String, String> row;
        try {
          if (!it.hasNextValue()) {
            break;
          }
          line = it.getParser().currentLocation().getLineNr(); // where this row starts
          row = it.nextValue();
        } catch (JsonProcessingException e) {
          throw bad(lineOf(e, line), e.getOriginalMessage(), e);
        }
        String key = row.get(keyColumn);
        if (key == null || key.isEmpty()) {
          throw bad(line, "empty key column " + keyColumn, null);
        }
        Long previous = lineOfKey.putIfAbsent(key, line);
        if (previous != null) {
          throw bad(line, "key " + key + " already on line " + previous, null);
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String column : columns) {
          ordered.put(column, row.get(column));
        }
        rows.put(key, Collections.unmodifiableMap(ordered));
      }
    } catch (JsonProcessingException e) {
      throw bad(lineOf(e, 1), e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read lookup table " + file + ": " + e, e);
    }
    return rows;
  }

  private List<String> header(MappingIterator<Map<String, String>> it) throws IOException {
    it.hasNextValue(); // the schema is known once the first row (or the end) is reached
    CsvSchema schema = (CsvSchema) it.getParser().getSchema();
    List<String> columns = new ArrayList<>();
    schema.forEach(c -> columns.add(c.getName()));
    if (!columns.contains(keyColumn)) {
      throw bad(
          1,
          "no column " + keyColumn + " in the header " + columns + ": fix the key column name",
          null);
    }
    return columns;
  }

  private static long lineOf(JsonProcessingException e, long fallback) {
    JsonLocation at = e.getLocation();
    return at != null && at.getLineNr() > 0 ? at.getLineNr() : fallback;
  }

  private IllegalArgumentException bad(long line, String what, Throwable cause) {
    return new IllegalArgumentException(
        "line " + line + " of CSV lookup table " + file + ": " + what, cause);
  }
}
