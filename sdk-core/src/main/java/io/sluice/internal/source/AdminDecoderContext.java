package io.sluice.internal.source;

import io.sluice.errors.SourceException;
import io.sluice.internal.Partitions;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.source.DecoderContext;
import io.sluice.source.RecordDecoder;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.schema.SchemaInfo;

/**
 * The {@link DecoderContext} of a running app: its topics and the schema registry through the app's
 * admin client. {@link #openAll} opens every source's decoder once, at start, after the partitions
 * are resolved and before any reader runs, so a decoder that refuses its topics fails the start.
 */
public final class AdminDecoderContext implements DecoderContext {
  private static final long TIMEOUT_SECONDS = 60;

  private final String app;
  private final PulsarAdmin admin;
  private final Set<String> topics;

  AdminDecoderContext(String app, PulsarAdmin admin, Set<String> topics) {
    this.app = app;
    this.admin = admin;
    this.topics = Set.copyOf(topics);
  }

  /**
   * Opens each distinct decoder once with the base topics of the partitions its sources read now
   * (possibly none: a pattern may match topics only later).
   */
  public static void openAll(
      String app,
      PulsarAdmin admin,
      List<SourceBinding> sources,
      Map<String, SourceBinding> partitionsToSources) {
    Map<RecordDecoder<?>, Set<String>> topicsOf = new IdentityHashMap<>();
    for (SourceBinding binding : sources) {
      if (binding.decoder() != null) {
        topicsOf.computeIfAbsent(binding.decoder(), d -> new TreeSet<>());
      }
    }
    for (Map.Entry<String, SourceBinding> e : partitionsToSources.entrySet()) {
      if (e.getValue().decoder() != null) {
        topicsOf
            .computeIfAbsent(e.getValue().decoder(), d -> new TreeSet<>())
            .add(Partitions.baseOf(e.getKey()));
      }
    }
    for (Map.Entry<RecordDecoder<?>, Set<String>> e : topicsOf.entrySet()) {
      e.getKey().open(new AdminDecoderContext(app, admin, e.getValue()));
    }
  }

  @Override
  public String appName() {
    return app;
  }

  @Override
  public Set<String> topics() {
    return topics;
  }

  @Override
  public Map<String, Optional<SchemaInfo>> registeredSchemas(Collection<String> wanted) {
    Map<String, CompletableFuture<Optional<SchemaInfo>>> pending = new LinkedHashMap<>();
    for (String topic : wanted) {
      pending.put(
          topic,
          admin
              .schemas()
              .getSchemaInfoAsync(topic)
              .thenApply(Optional::ofNullable)
              .exceptionally(
                  error -> {
                    Throwable cause =
                        error instanceof CompletionException && error.getCause() != null
                            ? error.getCause()
                            : error;
                    if (cause instanceof PulsarAdminException.NotFoundException) {
                      return Optional.empty();
                    }
                    throw new SourceException(
                        "Cannot read the schema of "
                            + topic
                            + " from the Pulsar schema registry (admin API): "
                            + cause,
                        cause);
                  }));
    }
    Map<String, Optional<SchemaInfo>> out = new LinkedHashMap<>();
    for (Map.Entry<String, CompletableFuture<Optional<SchemaInfo>>> e : pending.entrySet()) {
      try {
        out.put(e.getKey(), e.getValue().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
      } catch (ExecutionException ex) {
        if (ex.getCause() instanceof SourceException s) {
          throw s;
        }
        throw new SourceException("Cannot read the schema of " + e.getKey() + ": " + ex, ex);
      } catch (TimeoutException ex) {
        throw new SourceException(
            "The admin API did not answer within "
                + TIMEOUT_SECONDS
                + " s for the schema of "
                + e.getKey(),
            ex);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new SourceException("Interrupted reading the schema of " + e.getKey(), ex);
      }
    }
    return out;
  }
}
