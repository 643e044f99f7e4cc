package io.sluice.samples.etl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;

/**
 * The etl sample's final check: reads every committed file and the dead-letter topic back and
 * compares them with the input the {@link EtlLayout} defines — every good record exactly once, in
 * the partition of its topic and hour; every bad record exactly once in the dead-letter topic; a
 * {@code _SUCCESS} marker in exactly the hours the watermark has passed, each listing every file of
 * its partition (a file it does not list would have come after the marker).
 */
final class EtlCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter HOUR =
      DateTimeFormatter.ofPattern("'dt='yyyy-MM-dd/'hr='HH").withZone(ZoneOffset.UTC);

  private final EtlLayout layout;
  private final FileSystem fs;
  private final Path base;
  private final Duration lateness;
  private final BitSet[] seen;
  private long rows;
  private long duplicates;
  private long misplaced;
  private long unexpected;

  EtlCheck(EtlLayout layout, FileSystem fs, Path base, Duration lateness) {
    this.layout = layout;
    this.fs = fs;
    this.base = base;
    this.lateness = lateness;
    this.seen = new BitSet[layout.topics()];
    for (int t = 0; t < seen.length; t++) {
      seen[t] = new BitSet();
    }
  }

  /** The outcome: the summary line's fields and whether everything matched. */
  record Result(String line, boolean ok) {}

  Result run(PulsarClient client) throws IOException {
    Map<String, List<String>> partitions = new HashMap<>();
    Map<String, Set<String>> markers = new HashMap<>();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      String name = p.getName();
      String partition = relative(p.getParent());
      if (name.startsWith("part-")) {
        partitions.computeIfAbsent(partition, k -> new ArrayList<>()).add(name);
        readFile(p, partition);
      } else if (name.equals("_SUCCESS")) {
        markers.put(partition, markerFiles(p));
      }
    }
    long good = 0;
    long missing = 0;
    long bad = 0;
    for (int t = 0; t < layout.topics(); t++) {
      for (long i = 0; i < layout.count(t); i++) {
        if (layout.defect(t, i) == EtlLayout.Defect.NONE) {
          good++;
          missing += seen[t].get((int) i) ? 0 : 1;
        } else {
          bad++;
        }
      }
    }
    DeadLetters dead = deadLetters(client);
    Set<String> due = partitionsDue();
    long premature = 0;
    for (Map.Entry<String, Set<String>> m : markers.entrySet()) {
      List<String> files = partitions.getOrDefault(m.getKey(), List.of());
      if (!m.getValue().equals(new HashSet<>(files)) || !due.contains(m.getKey())) {
        premature++;
      }
    }
    long markedDue = due.stream().filter(markers::containsKey).count();
    boolean ok =
        missing == 0
            && duplicates == 0
            && misplaced == 0
            && unexpected == 0
            && rows == good
            && dead.ok(bad)
            && premature == 0
            && markedDue == due.size();
    String line =
        String.format(
            "topics=%d namespaces=%d input=%d good=%d output=%d dead_letters=%d/%d duplicates=%d"
                + " missing=%d misplaced=%d partitions=%d markers=%d/%d premature=%d",
            layout.topics(),
            layout.namespaceList().size(),
            layout.total(),
            good,
            rows,
            dead.count(),
            bad,
            duplicates + dead.duplicates(),
            missing + dead.missing(bad),
            misplaced + unexpected + dead.unexpected(),
            partitions.size(),
            markedDue,
            due.size(),
            premature);
    return new Result(line, ok);
  }

  private String relative(Path dir) {
    String b = base.toUri().getPath();
    String d = dir.toUri().getPath();
    return d.startsWith(b + "/") ? d.substring(b.length() + 1) : d;
  }

  /**
   * The partitions whose hour every watermark has passed by the end: ends at or before the earliest
   * last event time of any topic, less the out-of-orderness bound.
   */
  private Set<String> partitionsDue() {
    long lastOfAll = Long.MAX_VALUE;
    for (int t = 0; t < layout.topics(); t++) {
      lastOfAll = Math.min(lastOfAll, layout.eventTime(t, layout.count(t) - 1));
    }
    long watermark = lastOfAll - lateness.toMillis();
    Set<String> due = new TreeSet<>();
    long hour = Duration.ofHours(1).toMillis();
    for (int t = 0; t < layout.topics(); t++) {
      for (long start = layout.start().toEpochMilli(); start + hour <= watermark; start += hour) {
        due.add("topic=" + layout.localName(t) + "/" + HOUR.format(Instant.ofEpochMilli(start)));
      }
    }
    return due;
  }

  private void readFile(Path file, String partition) throws IOException {
    if (file.getName().endsWith(".parquet")) {
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), file).withConf(fs.getConf()).build()) {
        for (Group g = reader.read(); g != null; g = reader.read()) {
          row(partition, g.getString("topic", 0), g.getLong("id", 0), g.getLong("event_time", 0));
        }
      }
      return;
    }
    try (FSDataInputStream in = fs.open(file);
        BufferedReader lines =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String l = lines.readLine(); l != null; l = lines.readLine()) {
        JsonNode n = JSON.readTree(l);
        row(partition, n.get("topic").asText(), n.get("id").asLong(), n.get("event_time").asLong());
      }
    }
  }

  private void row(String partition, String topic, long id, long eventTime) {
    rows++;
    int t = topicIndex(topic);
    if (t < 0 || id < 0 || id >= layout.count(t) || layout.defect(t, id) != EtlLayout.Defect.NONE) {
      unexpected++;
      return;
    }
    String expected =
        "topic=" + layout.localName(t) + "/" + HOUR.format(Instant.ofEpochMilli(eventTime));
    if (!partition.equals(expected) || eventTime != layout.eventTime(t, id)) {
      misplaced++;
    }
    if (seen[t].get((int) id)) {
      duplicates++;
    }
    seen[t].set((int) id);
  }

  private int topicIndex(String localName) {
    String prefix = "r" + layout.run() + "-t";
    if (!localName.startsWith(prefix)) {
      return -1;
    }
    int t = Integer.parseInt(localName.substring(prefix.length()));
    return t < layout.topics() ? t : -1;
  }

  private Set<String> markerFiles(Path marker) throws IOException {
    Set<String> files = new HashSet<>();
    try (FSDataInputStream in = fs.open(marker);
        BufferedReader lines =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String l = lines.readLine(); l != null; l = lines.readLine()) {
        if (l.startsWith("part-")) {
          files.add(l);
        }
      }
    }
    return files;
  }

  /** What the dead-letter topic holds, by key. */
  private record DeadLetters(long count, long duplicates, long unexpected, BitSet[] seen) {
    long missing(long bad) {
      long found = 0;
      for (BitSet b : seen) {
        found += b.cardinality();
      }
      return bad - found;
    }

    boolean ok(long bad) {
      return duplicates == 0 && unexpected == 0 && missing(bad) == 0 && count == bad;
    }
  }

  private DeadLetters deadLetters(PulsarClient client) throws IOException {
    BitSet[] dead = new BitSet[layout.topics()];
    for (int t = 0; t < dead.length; t++) {
      dead[t] = new BitSet();
    }
    long count = 0;
    long dups = 0;
    long odd = 0;
    try (Reader<byte[]> reader =
        client
            .newReader(Schema.BYTES)
            .topic(layout.deadLetterTopic())
            .startMessageId(MessageId.earliest)
            .create()) {
      while (reader.hasMessageAvailable()) {
        Message<byte[]> m = reader.readNext(30, TimeUnit.SECONDS);
        if (m == null) {
          break;
        }
        count++;
        String[] key = m.getKey() == null ? new String[0] : m.getKey().split(":");
        int t = key.length == 2 ? Integer.parseInt(key[0]) : -1;
        long i = key.length == 2 ? Long.parseLong(key[1]) : -1;
        if (t < 0 || t >= layout.topics() || layout.defect(t, i) == EtlLayout.Defect.NONE) {
          odd++;
        } else if (dead[t].get((int) i)) {
          dups++;
        } else {
          dead[t].set((int) i);
        }
      }
    }
    return new DeadLetters(count, dups, odd, dead);
  }

  /** Counts the markers now (for the progress line); cheap enough on a local file system. */
  static long countMarkers(FileSystem fs, Path base) throws IOException {
    if (!fs.exists(base)) {
      return 0;
    }
    long n = 0;
    for (FileStatus topic : fs.listStatus(base)) {
      if (!topic.isDirectory()) {
        continue;
      }
      for (FileStatus day : fs.listStatus(topic.getPath())) {
        for (FileStatus hour : fs.listStatus(day.getPath())) {
          n += fs.exists(new Path(hour.getPath(), "_SUCCESS")) ? 1 : 0;
        }
      }
    }
    return n;
  }
}
