package io.sluice.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One hand-over split by step, in ms after the SIGKILL: when the broker removed the dead holder's
 * lease consumer and when it next notified the lease's consumers (its broker log, one host and
 * clock), then the new holder's {@code take-over:} lines ({@code TakeOverLog}), its {@code RUNNING}
 * and {@code FIRST} lines. Steps a run did not log are left out.
 */
final class HandOverTimeline {
  private static final Pattern STEP = Pattern.compile("take-over: (\\S+) at (\\d+)");
  private static final Pattern BROKER_TIME =
      Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");

  private HandOverTimeline() {}

  /** Step name → ms after {@code killedAt}, in the order the steps happened. */
  static Map<String, Long> of(Path replicaLog, Path brokerLog, String app, long killedAt)
      throws Exception {
    Map<String, Long> steps = new LinkedHashMap<>();
    if (brokerLog != null && Files.exists(brokerLog)) {
      brokerSteps(brokerLog, app, killedAt, steps);
    }
    for (String line : Files.readAllLines(replicaLog, StandardCharsets.UTF_8)) {
      Matcher m = STEP.matcher(line);
      if (m.find() && Long.parseLong(m.group(2)) >= killedAt) {
        steps.putIfAbsent(m.group(1), Long.parseLong(m.group(2)) - killedAt);
      } else if (line.startsWith("RUNNING ") || line.startsWith("FIRST ")) {
        long at = Long.parseLong(line.split(" ")[1]);
        if (at >= killedAt) {
          steps.putIfAbsent(line.split(" ")[0].toLowerCase(), at - killedAt);
        }
      }
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(steps.entrySet());
    sorted.sort(Map.Entry.comparingByValue());
    Map<String, Long> ordered = new LinkedHashMap<>();
    sorted.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return ordered;
  }

  /**
   * The broker logs "Removing consumer" when it drops a lease consumer and "Rewind" when its
   * delayed failover task runs (the moment it notifies the consumers of the new active one).
   */
  private static void brokerSteps(Path log, String app, long killedAt, Map<String, Long> steps)
      throws Exception {
    String lease = "__sluice-lease-" + app;
    LocalDate day = Instant.ofEpochMilli(killedAt).atZone(ZoneOffset.UTC).toLocalDate();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      if (!line.contains(lease)) {
        continue;
      }
      Matcher t = BROKER_TIME.matcher(line);
      if (!t.find()) {
        continue;
      }
      long at = LocalTime.parse(t.group(1)).atDate(day).toInstant(ZoneOffset.UTC).toEpochMilli();
      if (at < killedAt) {
        continue;
      }
      if (line.contains("Removing consumer")) {
        steps.putIfAbsent("broker-removed-consumer", at - killedAt);
      } else if (line.contains("Rewind from") && steps.containsKey("broker-removed-consumer")) {
        steps.putIfAbsent("broker-notified", at - killedAt);
      }
    }
  }
}
