package io.sluice.sink.builder;

import io.sluice.errors.ConfigException;
import java.util.Objects;

/**
 * The setting every Sluice sink builder shares: the sink's name. Each sink's {@code Builder}
 * extends it, or {@link RetryingSinkBuilder} when the sink retries its calls to a server itself.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class SinkBuilder<B extends SinkBuilder<B>> {
  private String name;

  protected SinkBuilder() {}

  /** This builder, typed as the concrete builder. */
  protected abstract B self();

  /**
   * The sink's name in checkpoints, metrics and errors (each sink has a default, e.g. {@code
   * clickhouse:<table>}, {@code redis}, {@code hdfs}, {@code pulsar:<topic>}); keep it stable
   * across restarts, as checkpoints refer to it.
   */
  public B name(String name) {
    Objects.requireNonNull(name, "name must not be null");
    if (name.isBlank()) {
      throw new ConfigException("Invalid value '' for name: must not be blank");
    }
    this.name = name;
    return self();
  }

  /** The name set, or {@code fallback}. */
  protected String nameOr(String fallback) {
    return name != null ? name : fallback;
  }
}
