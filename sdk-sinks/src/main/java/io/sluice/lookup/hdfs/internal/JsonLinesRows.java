package io.sluice.lookup.hdfs.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.lookup.internal.JsonLinesReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads JSON lines: one object per line, blank lines skipped, keyed by a field's text. */
public final class JsonLinesRows implements LookupFiles.RowReader {
  private final String keyField;

  public JsonLinesRows(String keyField) {
    this.keyField = keyField;
  }

  @Override
  public void read(FileSystem fs, Path file, Map<String, JsonNode> rows) throws IOException {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(LookupFiles.open(fs, file), StandardCharsets.UTF_8))) {
      JsonLinesReader.read(in, file, keyField, rows);
    }
  }
}
