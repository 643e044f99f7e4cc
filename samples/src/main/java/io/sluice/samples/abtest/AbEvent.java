package io.sluice.samples.abtest;

/**
 * One event of the abtest sample, as JSON on its topic: an exposure of a user to an experiment's
 * variant, a click, or an order with its revenue (in cents). {@code kind = "end"} is the
 * generator's end-of-input mark: its event time moves every partition's watermark past the last
 * window, so the last hours are emitted; it is not counted.
 */
public final class AbEvent {
  public String kind;
  public String experiment;
  public String variant;
  public String user;
  public long ts;
  public long revenueCents;

  public AbEvent() {}

  AbEvent(String kind, String experiment, String variant, String user, long ts, long cents) {
    this.kind = kind;
    this.experiment = experiment;
    this.variant = variant;
    this.user = user;
    this.ts = ts;
    this.revenueCents = cents;
  }

  String toJson() {
    return "{\"kind\":\"%s\",\"experiment\":\"%s\",\"variant\":\"%s\",\"user\":\"%s\",\"ts\":%d,\"revenueCents\":%d}"
        .formatted(kind, experiment, variant, user, ts, revenueCents);
  }
}
