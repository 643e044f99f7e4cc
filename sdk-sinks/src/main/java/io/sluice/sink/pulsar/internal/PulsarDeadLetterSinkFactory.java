package io.sluice.sink.pulsar.internal;

import io.sluice.sink.Sink;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.internal.DeadLetterSinks;
import java.util.Map;
import java.util.function.Function;

/** Gives the runtime a {@link PulsarSink} for a source's dead-letter topic (via ServiceLoader). */
public final class PulsarDeadLetterSinkFactory implements DeadLetterSinks.Factory {
  @Override
  public <T> Sink<T> pulsar(
      String name,
      String topic,
      Function<? super T, byte[]> serializer,
      Function<? super T, String> key,
      Function<? super T, Map<String, String>> properties) {
    return PulsarSink.<T>builder()
        .name(name)
        .topic(topic)
        .serializer(serializer)
        .key(key)
        .properties(properties)
        .build();
  }
}
