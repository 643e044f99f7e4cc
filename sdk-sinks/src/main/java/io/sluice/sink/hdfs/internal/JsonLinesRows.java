package io.sluice.sink.hdfs.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads JSON lines: one object per line, blank lines skipped, keyed by a field's text. */
public final class JsonLinesRows implements LookupFiles.RowReader {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String keyField;

  public JsonLinesRows(String keyField) {
    this.keyField = keyField;
  }

  @Override
  public void read(FileSystem fs, Path file, Map<String, JsonNode> rows) throws IOException {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(LookupFiles.open(fs, file), StandardCharsets.UTF_8))) {
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
                  + file
                  + " is not valid JSON ("
                  + e.getOriginalMessage()
                  + "): fix or remove the line",
              e);
        }
        if (!row.isObject()) {
          throw new SluiceException(
              "Lookup table: line " + n + " of " + file + " is not a JSON object: fix the line");
        }
        JsonNode key = row.get(keyField);
        if (key == null || key.isNull() || key.isContainerNode()) {
          throw new SluiceException(
              "Lookup table: line "
                  + n
                  + " of "
                  + file
                  + " has no value for the key field "
                  + keyField
                  + ": every row needs one");
        }
        rows.put(key.asText(), row);
      }
    }
  }
}
