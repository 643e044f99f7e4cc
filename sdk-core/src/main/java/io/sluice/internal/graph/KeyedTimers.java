package io.sluice.internal.graph;

/**
 * The event-time and processing-time timers of one keyed process operator: one timer per key, time
 * and domain, kept in keyed state (see {@link ScopedTimers}). Processing thread only.
 */
final class KeyedTimers {
  /** Which clock a timer follows. */
  enum Domain {
    EVENT_TIME,
    PROCESSING_TIME
  }

  /** Called for each due timer with the backend's scope and current key set to the timer's. */
  @FunctionalInterface
  interface Due {
    void fire(long time, byte[] key) throws Exception;
  }

  private final GroupServices group;
  private final ScopedTimers eventTime;
  private final ScopedTimers processingTime;

  KeyedTimers(GroupServices group, int operatorId) {
    this.group = group;
    this.eventTime = new ScopedTimers(group, "\0sluice.timers.event." + operatorId);
    this.processingTime = new ScopedTimers(group, "\0sluice.timers.processing." + operatorId);
  }

  void register(Domain domain, long time, byte[] key) {
    of(domain).add(time, key);
  }

  void delete(Domain domain, long time, byte[] key) {
    of(domain).remove(time, key);
  }

  /** Fires, oldest first, every timer of {@code domain} at or before {@code upTo}. */
  void fire(Domain domain, long upTo, Due due) throws Exception {
    of(domain)
        .fire(
            upTo,
            (time, key) -> {
              group.keyedState().setCurrentKey(key);
              due.fire(time, key);
            });
  }

  private ScopedTimers of(Domain domain) {
    return domain == Domain.EVENT_TIME ? eventTime : processingTime;
  }
}
