package io.sluice.source.internal;

import io.sluice.ConfigException;
import io.sluice.sink.Sink;
import java.util.Iterator;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * The transactional Pulsar sink that writes a source's dead letters ({@code deadLetterTo}).
 *
 * <p>That sink ({@code io.sluice.sink.pulsar.PulsarSink}) lives in sdk-sinks beside the other
 * sinks, and sdk-sinks depends on sdk-core, so the runtime finds it through {@link ServiceLoader}
 * ({@code META-INF/services/io.sluice.source.internal.DeadLetterSinks$Factory} in sdk-sinks)
 * instead of naming it. An app with dead-letter topics therefore needs sdk-sinks on its class path;
 * without it the source is refused when the stream is declared, naming the fix.
 */
public final class DeadLetterSinks {
  private DeadLetterSinks() {}

  /** Builds the Pulsar sink; implemented by sdk-sinks. */
  public interface Factory {
    /**
     * An exactly-once Pulsar sink named {@code name} writing to {@code topic} on the app's cluster.
     */
    <T> Sink<T> pulsar(
        String name,
        String topic,
        Function<? super T, byte[]> serializer,
        Function<? super T, String> key,
        Function<? super T, Map<String, String>> properties);
  }

  /** {@link Factory#pulsar} of the factory on the class path. */
  public static <T> Sink<T> pulsar(
      String name,
      String topic,
      Function<? super T, byte[]> serializer,
      Function<? super T, String> key,
      Function<? super T, Map<String, String>> properties) {
    return Holder.FACTORY.pulsar(name, topic, serializer, key, properties);
  }

  /** Loaded once, at the first dead-letter topic. */
  private static final class Holder {
    static final Factory FACTORY = load();

    private static Factory load() {
      Iterator<Factory> found =
          ServiceLoader.load(Factory.class, DeadLetterSinks.class.getClassLoader()).iterator();
      if (!found.hasNext()) {
        return new Factory() {
          @Override
          public <T> Sink<T> pulsar(
              String name,
              String topic,
              Function<? super T, byte[]> serializer,
              Function<? super T, String> key,
              Function<? super T, Map<String, String>> properties) {
            throw new ConfigException(
                "Dead-letter topic "
                    + topic
                    + " needs the Pulsar sink, which is in io.sluice:sdk-sinks: add that"
                    + " dependency to the app");
          }
        };
      }
      return found.next();
    }
  }
}
