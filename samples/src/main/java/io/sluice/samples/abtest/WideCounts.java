package io.sluice.samples.abtest;

import java.util.TreeSet;

/**
 * The wide row's measures for one (experiment, variant, hour): also the window's accumulator (kept
 * in window state as JSON). Distinct users are counted exactly, from the set of user ids.
 */
public final class WideCounts {
  public long exposures;
  public long clicks;
  public long orders;
  public long revenueCents;
  public TreeSet<String> users = new TreeSet<>();

  public WideCounts() {}

  void add(AbEvent e) {
    switch (e.kind) {
      case "exposure" -> exposures++;
      case "click" -> clicks++;
      case "order" -> {
        orders++;
        revenueCents += e.revenueCents;
      }
      default -> throw new IllegalArgumentException("unknown event kind " + e.kind);
    }
    users.add(e.user);
  }

  /** The measures as the check compares them. */
  String measures() {
    return "exposures=%d clicks=%d orders=%d revenue=%.2f users=%d"
        .formatted(exposures, clicks, orders, revenueCents / 100.0, users.size());
  }
}
