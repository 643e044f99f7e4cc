package io.sluice.internal.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Automatic slot groups: topics whose measured byte rate is at least the threshold get a dedicated
 * group each ({@code hot-0}, {@code hot-1}, …); the others are bin-packed, largest first, into the
 * least-loaded of {@code sharedGroups} groups ({@code shared-0}, …). Pure function of the rates, so
 * it is unit-tested without a broker.
 */
public final class SlotGroupPlanner {
  private SlotGroupPlanner() {}

  /** A planned group: its name, topics and summed byte rate. */
  public record Planned(String name, List<String> topics, double bytesPerSecond) {}

  public static List<Planned> plan(
      Map<String, Double> bytesPerSecond, double hotThreshold, int sharedGroups) {
    Set<String> hot = new HashSet<>();
    bytesPerSecond.forEach(
        (topic, rate) -> {
          if (rate >= hotThreshold) {
            hot.add(topic);
          }
        });
    return plan(bytesPerSecond, hot, sharedGroups);
  }

  /**
   * Which topics are hot, with hysteresis: a topic becomes hot at {@code hotThreshold} and stays
   * hot until it falls below half of it, so a rate near the threshold does not regroup each time.
   */
  public static Set<String> hotTopics(
      Map<String, Double> bytesPerSecond, double hotThreshold, Set<String> wasHot) {
    Set<String> hot = new TreeSet<>();
    bytesPerSecond.forEach(
        (topic, rate) -> {
          if (rate >= hotThreshold || (wasHot.contains(topic) && rate >= hotThreshold / 2)) {
            hot.add(topic);
          }
        });
    return hot;
  }

  /** The plan for a given set of hot topics (the others are bin-packed by rate). */
  public static List<Planned> plan(
      Map<String, Double> bytesPerSecond, Set<String> hotTopics, int sharedGroups) {
    List<Map.Entry<String, Double>> byRate = new ArrayList<>(bytesPerSecond.entrySet());
    byRate.sort(
        Map.Entry.<String, Double>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey()));
    List<Planned> hot = new ArrayList<>();
    Map<String, List<String>> shared = new LinkedHashMap<>();
    double[] load = new double[sharedGroups];
    for (int i = 0; i < sharedGroups; i++) {
      shared.put("shared-" + i, new ArrayList<>());
    }
    for (Map.Entry<String, Double> e : byRate) {
      if (hotTopics.contains(e.getKey())) {
        hot.add(new Planned("hot-" + hot.size(), List.of(e.getKey()), e.getValue()));
      } else {
        int least = 0;
        for (int i = 1; i < sharedGroups; i++) {
          if (load[i] < load[least]) {
            least = i;
          }
        }
        load[least] += e.getValue();
        shared.get("shared-" + least).add(e.getKey());
      }
    }
    List<Planned> out = new ArrayList<>(hot);
    int i = 0;
    for (Map.Entry<String, List<String>> e : shared.entrySet()) {
      if (!e.getValue().isEmpty()) {
        out.add(new Planned(e.getKey(), List.copyOf(e.getValue()), load[i]));
      }
      i++;
    }
    out.sort(Comparator.comparing(Planned::name));
    return out;
  }
}
