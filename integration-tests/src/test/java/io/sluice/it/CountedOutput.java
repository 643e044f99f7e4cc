package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The output of {@link CrashJob} checked for exactly-once: lines {@code value,key,n}, where every
 * input value must appear once and each key's counts must run 1..n without a repeat.
 */
record CountedOutput(int outputs, int distinct, int duplicates, int repeatedCounts, int keys) {

  static CountedOutput of(List<String> lines) {
    Map<String, Integer> perValue = new HashMap<>();
    Map<String, TreeSet<Long>> countsPerKey = new HashMap<>();
    int repeated = 0;
    for (String line : lines) {
      String[] f = line.split(",");
      perValue.merge(f[0], 1, Integer::sum);
      if (!countsPerKey.computeIfAbsent(f[1], k -> new TreeSet<>()).add(Long.parseLong(f[2]))) {
        repeated++;
      }
    }
    for (Map.Entry<String, TreeSet<Long>> e : countsPerKey.entrySet()) {
      TreeSet<Long> counts = e.getValue();
      assertThat(counts.first()).as("first count of key %s", e.getKey()).isEqualTo(1L);
      assertThat(counts.last())
          .as("last count of key %s (a gap: counts restarted or skipped)", e.getKey())
          .isEqualTo((long) counts.size());
    }
    return new CountedOutput(
        lines.size(),
        perValue.size(),
        lines.size() - perValue.size(),
        repeated,
        countsPerKey.size());
  }

  /** Every one of {@code inputs} values once, every key's counts exact. */
  void assertExactlyOnce(int inputs, int expectedKeys) {
    assertThat(distinct).as("distinct outputs (lost: %d)", inputs - distinct).isEqualTo(inputs);
    assertThat(duplicates).as("duplicated outputs").isZero();
    assertThat(repeatedCounts).as("repeated counts").isZero();
    assertThat(keys).isEqualTo(expectedKeys);
  }
}
