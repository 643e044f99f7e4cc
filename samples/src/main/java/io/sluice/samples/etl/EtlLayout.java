package io.sluice.samples.etl;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the etl sample's input is, as a pure function of its options, so the generator can resume
 * after a crash and the final check knows every record without keeping a copy.
 *
 * <ul>
 *   <li>{@code topics} topics {@code r<run>-t000 …}, topic {@code t} in namespace {@code
 *       public/etl-<letter of t % namespaces>}; topic 0 is hot: {@code hotFactor} times the records
 *       of each other topic;
 *   <li>topic {@code t} has its own JSON schema: {@code id} (long), {@code ts} (long, event time),
 *       {@code user} (string) and {@code v<t>} (long, string or double by {@code t % 3});
 *   <li>record {@code i} of topic {@code t} has event time {@code start + hours · i / n(t)}, so
 *       every topic crosses the same hours at the same pace; some records are bad (not JSON, a
 *       required field missing, a wrong type), about one in {@code badEvery}.
 * </ul>
 */
public record EtlLayout(
    String run,
    int topics,
    int namespaces,
    long records,
    int hotFactor,
    int badEvery,
    Instant start,
    int hours) {

  /** How a record is broken, if it is. */
  public enum Defect {
    NONE,
    NOT_JSON,
    MISSING_FIELD,
    WRONG_TYPE
  }

  public String namespace(int t) {
    return "public/etl-" + (char) ('a' + t % namespaces);
  }

  public List<String> namespaceList() {
    List<String> all = new ArrayList<>();
    for (int n = 0; n < Math.min(namespaces, topics); n++) {
      all.add(namespace(n));
    }
    return all;
  }

  public String localName(int t) {
    return String.format("r%s-t%03d", run, t);
  }

  public String topic(int t) {
    return "persistent://" + namespace(t) + "/" + localName(t);
  }

  /** The regex that selects this run's event topics in one namespace (not its dead letters). */
  public String pattern(String namespace) {
    return "persistent://" + namespace + "/r" + run + "-t\\d+";
  }

  public String deadLetterTopic() {
    return "persistent://" + namespace(0) + "/r" + run + "-dead-letters";
  }

  /** Records of topic {@code t}. */
  public long count(int t) {
    long weights = (long) topics - 1 + hotFactor;
    long each = Math.max(1, records / weights);
    return t == 0 ? each * hotFactor : each;
  }

  public long total() {
    long sum = 0;
    for (int t = 0; t < topics; t++) {
      sum += count(t);
    }
    return sum;
  }

  public long eventTime(int t, long i) {
    return start.toEpochMilli() + Duration.ofHours(hours).toMillis() * i / count(t);
  }

  public Defect defect(int t, long i) {
    if ((i * 31 + t * 17) % badEvery != 0) {
      return Defect.NONE;
    }
    return Defect.values()[1 + (int) ((i / badEvery + t) % 3)];
  }

  public String valueField(int t) {
    return "v" + t;
  }

  /** The Avro-JSON record definition registered as topic {@code t}'s JSON schema. */
  public String schema(int t) {
    String type = List.of("long", "string", "double").get(t % 3);
    return "{\"type\":\"record\",\"name\":\"Event"
        + t
        + "\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"ts\",\"type\":\"long\"},"
        + "{\"name\":\"user\",\"type\":\"string\"},{\"name\":\""
        + valueField(t)
        + "\",\"type\":\""
        + type
        + "\"}]}";
  }

  /** The message of record {@code i} of topic {@code t}, as the generator sends it. */
  public String payload(int t, long i) {
    long ts = eventTime(t, i);
    String value =
        switch (t % 3) {
          case 0 -> Long.toString(i * 7);
          case 1 -> "\"s" + (i % 97) + "\"";
          default -> Double.toString(i / 4.0);
        };
    return switch (defect(t, i)) {
      case NONE ->
          "{\"id\":%d,\"ts\":%d,\"user\":\"u%d\",\"%s\":%s}"
              .formatted(i, ts, i % 1000, valueField(t), value);
      case NOT_JSON -> "{\"id\":%d,\"ts\":%d,\"user\":".formatted(i, ts);
      case MISSING_FIELD ->
          "{\"id\":%d,\"ts\":%d,\"%s\":%s}".formatted(i, ts, valueField(t), value);
      case WRONG_TYPE ->
          "{\"id\":%d,\"ts\":\"yesterday\",\"user\":\"u%d\",\"%s\":%s}"
              .formatted(i, i % 1000, valueField(t), value);
    };
  }

  /** The message key: {@code <t>:<i>} (the dead-letter topic keeps it). */
  public static String key(int t, long i) {
    return t + ":" + i;
  }
}
