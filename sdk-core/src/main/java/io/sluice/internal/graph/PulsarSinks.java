package io.sluice.internal.graph;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Sink;
import java.util.Iterator;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The transactional Pulsar sink the runtime writes with itself: a source's dead letters ({@code
 * deadLetterTo}) and a sharded app's repartition topics ({@link Repartition}).
 *
 * <p>That sink ({@code io.sluice.sink.pulsar.PulsarSink}) lives in sdk-sinks beside the other
 * sinks, and sdk-sinks depends on sdk-core, so the runtime finds it through {@link ServiceLoader}
 * ({@code META-INF/services/io.sluice.internal.graph.PulsarSinks$Factory} in sdk-sinks) instead of
 * naming it. Without sdk-sinks on the class path the stream that needs it is refused when it is
 * declared, naming the fix.
 */
public final class PulsarSinks {
  private PulsarSinks() {}

  /** Builds the Pulsar sink; implemented by sdk-sinks. */
  public interface Factory {
    /**
     * An exactly-once Pulsar sink named {@code name} writing to {@code topic} on the app's cluster;
     * {@code properties} and {@code eventTime} may be null.
     */
    <T> Sink<T> pulsar(
        String name,
        String topic,
        Function<? super T, byte[]> serializer,
        Function<? super T, String> key,
        Function<? super T, Map<String, String>> properties,
        ToLongFunction<? super T> eventTime);
  }

  /** {@link Factory#pulsar} of the factory on the class path. */
  public static <T> Sink<T> pulsar(
      String name,
      String topic,
      Function<? super T, byte[]> serializer,
      Function<? super T, String> key,
      Function<? super T, Map<String, String>> properties,
      ToLongFunction<? super T> eventTime) {
    if (Holder.FACTORY == null) {
      throw new ConfigException(
          "The stream writing to "
              + topic
              + " needs the Pulsar sink, which is in io.sluice:sdk-sinks: add that dependency to"
              + " the app");
    }
    return Holder.FACTORY.pulsar(name, topic, serializer, key, properties, eventTime);
  }

  /** Loaded once, at the first use. */
  private static final class Holder {
    static final Factory FACTORY = load();

    private static Factory load() {
      Iterator<Factory> found =
          ServiceLoader.load(Factory.class, PulsarSinks.class.getClassLoader()).iterator();
      return found.hasNext() ? found.next() : null;
    }
  }
}
