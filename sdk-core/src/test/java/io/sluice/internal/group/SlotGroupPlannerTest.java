package io.sluice.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SlotGroupPlannerTest {
  @Test
  void shouldGiveHotTopicsTheirOwnGroupAndBinPackTheRest() {
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put("hot", 10_000_000.0);
    rates.put("warm", 900_000.0);
    for (int i = 0; i < 6; i++) {
      rates.put("cold-" + i, 100_000.0 * (i + 1));
    }
    List<SlotGroupPlanner.Planned> plan = SlotGroupPlanner.plan(rates, 1_000_000, 2);
    assertThat(plan)
        .extracting(SlotGroupPlanner.Planned::name)
        .containsExactly("hot-0", "shared-0", "shared-1");
    assertThat(plan.get(0).topics()).containsExactly("hot");
    // largest first into the least-loaded group: 900k, 600k | 500k, 400k, 300k | 200k, 100k
    double a = plan.get(1).bytesPerSecond();
    double b = plan.get(2).bytesPerSecond();
    assertThat(a + b).isEqualTo(900_000 + 2_100_000);
    assertThat(Math.abs(a - b)).isLessThanOrEqualTo(100_000);
    assertThat(plan.get(1).topics().size() + plan.get(2).topics().size()).isEqualTo(7);
  }
}
