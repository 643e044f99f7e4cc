package io.sluice.samples.abtest;

import io.sluice.samples.common.ClickHouseEndpoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The abtest sample's final check and report: reads the wide table back from ClickHouse, compares
 * each row with the one computed from the generated input (nothing missing, nothing twice, every
 * measure equal), checks that each row's experiment attributes are those of the offline table
 * version it names, and prints the hourly table and each experiment's variants side by side.
 */
final class AbCheck {
  private final ClickHouseEndpoint clickhouse;
  private final String table;
  private final Map<Integer, Map<String, String[]>> tableVersions;

  /**
   * @param tableVersions version to experiment id to {name, owner} of the offline table
   */
  AbCheck(
      ClickHouseEndpoint clickhouse,
      String table,
      Map<Integer, Map<String, String[]>> tableVersions) {
    this.clickhouse = clickhouse;
    this.table = table;
    this.tableVersions = tableVersions;
  }

  record Result(String line, boolean ok) {}

  Result run(AbLayout layout) throws Exception {
    String tsv =
        clickhouse.query(
            "SELECT toUnixTimestamp(hour), experiment, variant, experiment_name, owner,"
                + " table_version, exposures, clicks, orders, revenue, users FROM "
                + table
                + " ORDER BY hour, experiment, variant FORMAT TabSeparated");
    Map<String, WideCounts> expected = layout.expected();
    Map<String, Integer> seen = new LinkedHashMap<>();
    long wrong = 0;
    long enrichment = 0;
    long fromRefreshed = 0;
    long latest = tableVersions.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    List<String[]> rows = new ArrayList<>();
    for (String line : tsv.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      rows.add(f);
      String key = f[1] + "|" + f[2] + "|" + Long.parseLong(f[0]) * 1000;
      seen.merge(key, 1, Integer::sum);
      WideCounts want = expected.get(key);
      String got =
          "exposures=%s clicks=%s orders=%s revenue=%.2f users=%s"
              .formatted(f[6], f[7], f[8], Double.parseDouble(f[9]), f[10]);
      if (want == null || !want.measures().equals(got)) {
        wrong++;
      }
      Map<String, String[]> version = tableVersions.get(Integer.parseInt(f[5]));
      String[] attrs = version == null ? null : version.get(f[1]);
      if (attrs == null || !attrs[0].equals(f[3]) || !attrs[1].equals(f[4])) {
        enrichment++;
      }
      fromRefreshed += Integer.parseInt(f[5]) == latest ? 1 : 0;
    }
    long duplicates = seen.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
    long missing = expected.keySet().stream().filter(k -> !seen.containsKey(k)).count();
    printHourly(rows);
    printSideBySide();
    boolean ok =
        duplicates == 0 && missing == 0 && wrong == 0 && enrichment == 0 && fromRefreshed > 0;
    String line =
        String.format(
            "events=%d rows=%d expected=%d duplicates=%d missing=%d wrong=%d enrichment_errors=%d"
                + " rows_from_refreshed_table=%d",
            layout.events().size(),
            rows.size(),
            expected.size(),
            duplicates,
            missing,
            wrong,
            enrichment,
            fromRefreshed);
    return new Result(line, ok);
  }

  private static void printHourly(List<String[]> rows) {
    System.out.println();
    System.out.println("hourly wide table (ClickHouse):");
    System.out.printf(
        "%-17s %-13s %-3s %-22s %-10s %9s %7s %7s %11s %7s%n",
        "hour",
        "experiment",
        "var",
        "name",
        "owner",
        "exposures",
        "clicks",
        "orders",
        "revenue",
        "users");
    for (String[] f : rows) {
      System.out.printf(
          "%-17s %-13s %-3s %-22s %-10s %9s %7s %7s %11.2f %7s%n",
          Instant.ofEpochSecond(Long.parseLong(f[0])).toString().substring(0, 16),
          f[1],
          f[2],
          f[3],
          f[4],
          f[6],
          f[7],
          f[8],
          Double.parseDouble(f[9]),
          f[10]);
    }
  }

  private void printSideBySide() throws Exception {
    String tsv =
        clickhouse.query(
            "SELECT experiment, variant, sum(exposures), sum(clicks), sum(orders), sum(revenue)"
                + " FROM "
                + table
                + " GROUP BY experiment, variant ORDER BY experiment, variant FORMAT"
                + " TabSeparated");
    Map<String, Map<String, double[]>> byExperiment = new TreeMap<>();
    for (String line : tsv.split("\n")) {
      if (!line.isEmpty()) {
        String[] f = line.split("\t");
        byExperiment
            .computeIfAbsent(f[0], k -> new TreeMap<>())
            .put(
                f[1],
                new double[] {
                  Double.parseDouble(f[2]),
                  Double.parseDouble(f[3]),
                  Double.parseDouble(f[4]),
                  Double.parseDouble(f[5])
                });
      }
    }
    System.out.println();
    System.out.println("variants side by side (all hours):");
    for (Map.Entry<String, Map<String, double[]>> e : byExperiment.entrySet()) {
      StringBuilder head = new StringBuilder(String.format("%-13s %-16s", e.getKey(), ""));
      e.getValue().keySet().forEach(v -> head.append(String.format("%12s", v)));
      System.out.println(head);
      printMetric(e.getValue(), "exposures", m -> m[0], "%12.0f");
      printMetric(e.getValue(), "CTR %", m -> 100 * m[1] / m[0], "%12.2f");
      printMetric(e.getValue(), "orders/click %", m -> 100 * m[2] / m[1], "%12.2f");
      printMetric(e.getValue(), "revenue", m -> m[3], "%12.2f");
      printMetric(e.getValue(), "revenue/exposure", m -> m[3] / m[0], "%12.4f");
    }
    System.out.println();
  }

  private static void printMetric(
      Map<String, double[]> variants,
      String name,
      java.util.function.ToDoubleFunction<double[]> f,
      String format) {
    StringBuilder s = new StringBuilder(String.format("%-13s %-16s", "", name));
    variants.values().forEach(m -> s.append(String.format(format, f.applyAsDouble(m))));
    System.out.println(s);
  }
}
