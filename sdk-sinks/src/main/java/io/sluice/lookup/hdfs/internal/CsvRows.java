package io.sluice.lookup.hdfs.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.errors.SluiceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads CSV (RFC 4180): the first record is the header naming the columns; fields may be quoted
 * with {@code "}, a quoted field may hold separators, line breaks and doubled quotes ({@code ""}).
 * Each row becomes an object of text fields keyed by its key column; blank lines are skipped.
 */
public final class CsvRows implements LookupFiles.RowReader {
  private final String keyColumn;
  private final char separator;

  public CsvRows(String keyColumn, char separator) {
    this.keyColumn = keyColumn;
    this.separator = separator;
  }

  @Override
  public void read(FileSystem fs, Path file, Map<String, JsonNode> rows) throws IOException {
    try (Reader in =
        new BufferedReader(
            new InputStreamReader(LookupFiles.open(fs, file), StandardCharsets.UTF_8))) {
      Parser parser = new Parser(in, file);
      List<String> header = parser.next();
      if (header == null) {
        throw new SluiceException(
            "Lookup table: " + file + " is empty: a CSV file needs a header line");
      }
      int key = header.indexOf(keyColumn);
      if (key < 0) {
        throw new SluiceException(
            "Lookup table: "
                + file
                + " has no column "
                + keyColumn
                + " (its header is "
                + String.join(String.valueOf(separator), header)
                + "): name the key column as in the header");
      }
      List<String> fields;
      while ((fields = parser.next()) != null) {
        if (fields.size() != header.size()) {
          throw new SluiceException(
              "Lookup table: line "
                  + parser.recordLine
                  + " of "
                  + file
                  + " has "
                  + fields.size()
                  + " fields but the header has "
                  + header.size()
                  + ": fix the line (quote fields that hold the separator)");
        }
        if (fields.get(key).isEmpty()) {
          throw new SluiceException(
              "Lookup table: line "
                  + parser.recordLine
                  + " of "
                  + file
                  + " has no value for the key column "
                  + keyColumn
                  + ": every row needs one");
        }
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < header.size(); i++) {
          row.put(header.get(i), fields.get(i));
        }
        rows.put(fields.get(key), row);
      }
    }
  }

  /** Splits a stream into records; remembers where each record starts for error messages. */
  private final class Parser {
    private final Reader in;
    private final Path file;
    private int line = 1;
    private int recordLine;
    private int pushedBack = -2;

    Parser(Reader in, Path file) {
      this.in = in;
      this.file = file;
    }

    private int read() throws IOException {
      if (pushedBack != -2) {
        int c = pushedBack;
        pushedBack = -2;
        return c;
      }
      return in.read();
    }

    /** The next record, or null at the end; blank lines are skipped. */
    List<String> next() throws IOException {
      int c;
      while ((c = read()) == '\n' || c == '\r') {
        if (c == '\n') {
          line++;
        }
      }
      if (c == -1) {
        return null;
      }
      pushedBack = c;
      recordLine = line;
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      boolean wasQuoted = false;
      while (true) {
        c = read();
        if (quoted) {
          if (c == -1) {
            throw new SluiceException(
                "Lookup table: line "
                    + recordLine
                    + " of "
                    + file
                    + " opens a quoted field that is never closed: add the closing \"");
          }
          if (c == '"') {
            int d = read();
            if (d == '"') {
              field.append('"');
            } else {
              quoted = false;
              pushedBack = d;
            }
          } else {
            if (c == '\n') {
              line++;
            }
            field.append((char) c);
          }
          continue;
        }
        if (c == separator) {
          fields.add(field.toString());
          field.setLength(0);
          wasQuoted = false;
        } else if (c == '\n' || c == '\r' || c == -1) {
          if (c == '\r') {
            int d = read();
            if (d != '\n') {
              pushedBack = d;
            }
          }
          line++;
          fields.add(field.toString());
          return fields;
        } else if (c == '"' && field.length() == 0 && !wasQuoted) {
          quoted = true;
          wasQuoted = true;
        } else if (wasQuoted) {
          throw new SluiceException(
              "Lookup table: line "
                  + line
                  + " of "
                  + file
                  + " has text after a closing quote: quote the whole field and double"
                  + " the quotes inside it (\"\")");
        } else {
          field.append((char) c);
        }
      }
    }
  }
}
