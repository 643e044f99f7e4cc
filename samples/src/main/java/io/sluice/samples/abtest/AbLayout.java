package io.sluice.samples.abtest;

import io.sluice.samples.common.Mix;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The abtest sample's input as a pure function of its options, and the wide rows it must give.
 *
 * <p>Exposure {@code j} shows a user (one of {@code users}) one of four experiments at time {@code
 * start + hours · j / exposures}; a user always sees the same variant of an experiment. Variant
 * {@code v} (0 = A) is clicked with probability 8 % + 2 % · v, 20 s after the exposure, and a click
 * becomes an order (revenue 5–205) with probability 25 % + 5 % · v, 50 s after it. One event in 50
 * is sent 20 minutes late (less than the allowed lateness, more than the out-of-orderness bound).
 * "Random" choices come from a fixed hash of the exposure number, so a run is repeatable.
 */
record AbLayout(long exposures, int users, Instant start, int hours) {
  static final Duration LATE_BY = Duration.ofMinutes(20);

  record Experiment(String id, List<String> variants) {}

  static final List<Experiment> EXPERIMENTS =
      List.of(
          new Experiment("exp-checkout", List.of("A", "B")),
          new Experiment("exp-ranking", List.of("A", "B", "C")),
          new Experiment("exp-banner", List.of("A", "B")),
          new Experiment("exp-price", List.of("A", "B")));

  /** An event and when the generator sends it (its event time, or later for a late one). */
  record Timed(AbEvent event, long sendAt, String topic) {}

  /** Every event, in the order the generator sends them. */
  List<Timed> events() {
    List<Timed> all = new ArrayList<>();
    long span = Duration.ofHours(hours).toMillis();
    for (long j = 0; j < exposures; j++) {
      int u = (int) (mix(j, 0) % users);
      int e = (int) (mix(j, 1) % EXPERIMENTS.size());
      Experiment exp = EXPERIMENTS.get(e);
      int v = (int) (mix(u, 100 + e) % exp.variants().size());
      String variant = exp.variants().get(v);
      long t = start.toEpochMilli() + span * j / exposures;
      String user = "u" + u;
      add(all, j, 0, "exposures", new AbEvent("exposure", exp.id(), variant, user, t, 0));
      if (mix(j, 2) % 1000 < 80 + 20L * v) {
        add(all, j, 1, "clicks", new AbEvent("click", exp.id(), variant, user, t + 20_000, 0));
        if (mix(j, 3) % 100 < 25 + 5L * v) {
          long cents = 500 + mix(j, 4) % 20_000;
          add(
              all,
              j,
              2,
              "orders",
              new AbEvent("order", exp.id(), variant, user, t + 70_000, cents));
        }
      }
    }
    all.sort(Comparator.comparingLong(Timed::sendAt));
    return all;
  }

  private static void add(List<Timed> all, long j, int kind, String topic, AbEvent e) {
    boolean late = mix(j, 10 + kind) % 50 == 0;
    all.add(new Timed(e, e.ts + (late ? LATE_BY.toMillis() : 0), topic));
  }

  /** The event time of the end-of-input marks: past the last window and its allowed lateness. */
  long endMarkTime() {
    return start.plus(Duration.ofHours(hours + 3)).toEpochMilli();
  }

  /** The wide rows the input gives: "experiment|variant|hour start" to its counts. */
  Map<String, WideCounts> expected() {
    Map<String, WideCounts> rows = new TreeMap<>();
    long hour = Duration.ofHours(1).toMillis();
    for (Timed t : events()) {
      AbEvent e = t.event();
      long h = Math.floorDiv(e.ts, hour) * hour;
      rows.computeIfAbsent(e.experiment + "|" + e.variant + "|" + h, k -> new WideCounts()).add(e);
    }
    return rows;
  }

  static long mix(long n, long salt) {
    return Mix.of(n, salt);
  }
}
