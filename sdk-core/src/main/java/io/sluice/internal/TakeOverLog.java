package io.sluice.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One INFO line per step of a replica taking a unit (an app, or one shard of it) over, with the
 * wall-clock time the step ended: {@code [<unit>] take-over: <step> at <epoch ms>}. A hand-over's
 * time is split by step from these lines alone, in a log or by {@code scripts/bench.sh scaleout},
 * which compares them with the moment it killed the former holder (one host, one clock).
 */
public final class TakeOverLog {
  private static final Logger LOG = LoggerFactory.getLogger(TakeOverLog.class);

  private TakeOverLog() {}

  /** Logs that {@code step} of taking {@code unit} over ended now. */
  public static void step(String unit, String step) {
    step(unit, step, System.currentTimeMillis());
  }

  /** Logs that {@code step} of taking {@code unit} over ended at {@code epochMillis}. */
  public static void step(String unit, String step, long epochMillis) {
    LOG.info("[{}] take-over: {} at {}", unit, step, epochMillis);
  }
}
