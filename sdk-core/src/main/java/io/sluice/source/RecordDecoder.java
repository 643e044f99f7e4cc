package io.sluice.source;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.source.internal.json.FastJsonBinder;
import java.util.Objects;

/**
 * Turns a message into a typed value. Decoders run on the reader threads, in parallel across
 * partitions and before the slot group's ring, so decoding does not load the processing thread;
 * they must therefore be thread-safe and keep no state.
 *
 * <pre>{@code
 * app.stream(PulsarSource.topics("orders"), RecordDecoder.json(Order.class))
 *    .filter(o -> o.amount() > 0)
 * }</pre>
 *
 * <p>A decoder that throws hands the record to the app's bad-record policy (FAIL by default: the
 * app stops with an error naming topic, partition and message id).
 */
@FunctionalInterface
public interface RecordDecoder<T> {
  T decode(SourceRecord record) throws Exception;

  /**
   * JSON into {@code type} with Jackson's rules. Unknown properties fail decoding unless {@code
   * type} says otherwise (e.g. {@code @JsonIgnoreProperties(ignoreUnknown = true)}); a JSON null
   * for a primitive field fails too.
   *
   * <p>For a plain class — public fields of type String, long, int, double, boolean (or their
   * boxes), {@code List} of those or of another plain class; a public no-argument constructor; no
   * setters, no Jackson or {@code java.beans} annotations — Sluice binds well-formed documents with
   * its own parser, about twice as fast as Jackson databind, and hands anything else (an unknown
   * key, a coercion, malformed input) to Jackson, so the result or the error is the one Jackson
   * gives. To have Jackson bind everything, pass your own decoder, e.g. {@code record ->
   * mapper.readValue(record.value(), Order.class)}.
   */
  static <T> RecordDecoder<T> json(Class<T> type) {
    Objects.requireNonNull(type, "type must not be null");
    ObjectMapper mapper =
        new ObjectMapper().enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    var reader = mapper.readerFor(type);
    FastJsonBinder<T> fast = FastJsonBinder.forType(type);
    return record -> {
      byte[] value = record.value();
      if (value.length == 0) {
        throw new IllegalArgumentException(
            "empty payload: expected a JSON " + type.getSimpleName());
      }
      T result = fast == null ? null : fast.bind(value);
      if (result == null) {
        result = reader.readValue(value);
      }
      if (result == null) {
        throw new IllegalArgumentException("JSON null: expected a " + type.getSimpleName());
      }
      return result;
    };
  }

  /**
   * Called once by a running app before the first record, with the topics the source reads and
   * access to the schema registry, for decoders that prepare per topic (e.g. {@link
   * PulsarSchemaDecoder}); throwing fails the app's start. The default does nothing. Not called by
   * the {@link io.sluice.testing.TestDriver}.
   */
  default void open(DecoderContext context) {}
}
