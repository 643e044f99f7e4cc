package io.sluice.stream;

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
}
