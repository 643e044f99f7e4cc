package io.sluice.function;

/**
 * Processes one record with the state of its key.
 *
 * <pre>{@code
 * stream.keyBy(r -> r.key(), Serde.strings())
 *     .process((value, ctx, out) -> {
 *       ValueState<Long> count = ctx.valueState("count", Serde.longs());
 *       long n = count.value() == null ? 1 : count.value() + 1;
 *       count.update(n);
 *       out.collect(value.key() + "=" + n);
 *     });
 * }</pre>
 */
@FunctionalInterface
public interface KeyedProcessFunction<K, T, R> {
  void process(T value, KeyedContext<K> context, Collector<R> out) throws Exception;

  /**
   * A timer of the current key registered through the context is due ({@code timestamp} is the time
   * it was registered for; its event time while it runs). The default does nothing; implement the
   * interface (instead of a lambda) to use timers:
   *
   * <pre>{@code
   * new KeyedProcessFunction<String, Click, String>() {
   *   public void process(Click c, KeyedContext<String> ctx, Collector<String> out) {
   *     ctx.valueState("last", Serde.longs()).update(c.time());
   *     ctx.registerEventTimeTimer(c.time() + 30 * 60_000);      // session timeout
   *   }
   *   public void onTimer(long t, KeyedContext<String> ctx, Collector<String> out) {
   *     Long last = ctx.valueState("last", Serde.longs()).value();
   *     if (last != null && last + 30 * 60_000 == t) {
   *       out.collect(ctx.currentKey() + " idle since " + last);
   *     }
   *   }
   * }
   * }</pre>
   */
  default void onTimer(long timestamp, KeyedContext<K> context, Collector<R> out)
      throws Exception {}
}
