package io.sluice.source;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pulsar.common.schema.SchemaInfo;

/**
 * What a running app tells a {@link RecordDecoder} when it starts (see {@link RecordDecoder#open}):
 * the topics its source reads and access to the broker's schema registry. Decoders that need
 * nothing from the broker ignore it.
 *
 * <p>Thread-safe: a decoder may keep it and call {@link #registeredSchemas} later from a reader
 * thread, e.g. the first time it sees a topic that discovery added while running.
 */
public interface DecoderContext {
  /** The app's name (for messages). */
  String appName();

  /**
   * The topics the source reads now, without partition suffixes, e.g. {@code
   * persistent://public/default/orders}. Topics found later by discovery are not in it.
   */
  Set<String> topics();

  /**
   * Each topic's current schema in the Pulsar schema registry, empty when it has none. One admin
   * (HTTP) call per topic, made concurrently: call it at start and for new topics, never per
   * record.
   *
   * @throws io.sluice.errors.SourceException when the admin API cannot answer (other than "no
   *     schema")
   */
  Map<String, Optional<SchemaInfo>> registeredSchemas(Collection<String> topics);
}
