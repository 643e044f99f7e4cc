package io.sluice.lookup.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.errors.SluiceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.Map;

/**
 * Reads a lookup table in JSON lines: one object per line, blank lines skipped, each keyed by the
 * text of a field. Shared by {@code LookupTable.jsonLines} (local files) and the HDFS lookup.
 */
public final class JsonLinesReader {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonLinesReader() {}

  /**
   * Adds every row of {@code in} to {@code rows}; a line that is not a JSON object, or has no
   * scalar value for {@code keyField}, is an error naming {@code source} and the line.
   */
  public static void read(
      BufferedReader in, Object source, String keyField, Map<String, JsonNode> rows)
      throws IOException {
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode row;
      try {
        row = MAPPER.readTree(line);
      } catch (JsonProcessingException e) {
        throw new SluiceException(
            "Lookup table: line "
                + n
                + " of "
                + source
                + " is not valid JSON ("
                + e.getOriginalMessage()
                + "): fix or remove the line",
            e);
      }
      if (!row.isObject()) {
        throw new SluiceException(
            "Lookup table: line " + n + " of " + source + " is not a JSON object: fix the line");
      }
      JsonNode key = row.get(keyField);
      if (key == null || key.isNull() || key.isContainerNode()) {
        throw new SluiceException(
            "Lookup table: line "
                + n
                + " of "
                + source
                + " has no value for the key field "
                + keyField
                + ": every row needs one");
      }
      rows.put(key.asText(), row);
    }
  }
}
