package io.sluice.sink.pulsar.internal.provider;

import io.sluice.internal.graph.PulsarSinks;
import io.sluice.sink.Sink;
import io.sluice.sink.pulsar.PulsarSink;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Gives the runtime a {@link PulsarSink} for dead letters and repartition topics (via
 * ServiceLoader).
 */
public final class PulsarSinkFactory implements PulsarSinks.Factory {
  @Override
  public <T> Sink<T> pulsar(
      String name,
      String topic,
      Function<? super T, byte[]> serializer,
      Function<? super T, String> key,
      Function<? super T, Map<String, String>> properties,
      ToLongFunction<? super T> eventTime) {
    PulsarSink.Builder<T> builder =
        PulsarSink.<T>builder().name(name).topic(topic).serializer(serializer).key(key);
    if (properties != null) {
      builder.properties(properties);
    }
    if (eventTime != null) {
      builder.eventTime(eventTime);
    }
    return builder.build();
  }
}
