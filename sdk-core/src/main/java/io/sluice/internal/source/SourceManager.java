package io.sluice.internal.source;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.internal.checkpoint.DurableCursors;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.internal.checkpoint.StartPlanner;
import io.sluice.internal.graph.JobGraph.SourceBinding;
import io.sluice.internal.group.InputPartition;
import io.sluice.internal.group.ProcessingGroup;
import io.sluice.metrics.Metric;
import io.sluice.state.internal.KeyedStateBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Pulsar side of an app: the partitions it reads, each with one reader (non-durable cursor)
 * read by one of a few fetcher threads feeding its slot group ({@link Fetchers}), its
 * durable-cursor consumer ({@link DurableCursors}), and discovery of new partitions and topics
 * ({@link PartitionLister}).
 *
 * <p>The admin (HTTP) API is used at start-up and by discovery only.
 *
 * <p>Thread ownership: start-up runs on the caller of {@code start()}, discovery on the discovery
 * thread, {@link #paused} and {@link #reroute} on the checkpoint thread; the partition map is
 * concurrent.
 */
public final class SourceManager {
  private static final Logger LOG = LoggerFactory.getLogger(SourceManager.class);

  private final String app;
  private final PulsarClient client;
  private final List<SourceBinding> sources;
  private final Function<String, ProcessingGroup> router;
  private final int receiverQueueSize;

  /** Read whole entries ({@link EntryReader}) instead of Readers' single messages. */
  private final boolean entryReads;

  private final MeterRegistry meters;

  /** Whether each partition registers its own meters (its lag). */
  private final boolean partitionMeters;

  private final PartitionLister lister;
  private final StartPlanner planner;
  private final DurableCursors cursors;
  private final Fetchers fetchers;
  private final Map<String, SourcePartition> partitions = new ConcurrentHashMap<>();
  private final Counter discovered;

  /** While a regroup runs no record enters any ring and no partition is routed. */
  private final PublishGate gate = new PublishGate();

  public SourceManager(
      String app,
      PulsarClient client,
      PulsarAdmin admin,
      List<SourceBinding> sources,
      Predicate<String> owned,
      Function<String, ProcessingGroup> router,
      StartPlanner planner,
      DurableCursors cursors,
      int receiverQueueSize,
      int fetcherThreads,
      boolean entryReads,
      MeterRegistry meters,
      boolean partitionMeters,
      Consumer<Throwable> onFailure,
      ThreadFactory fetcherThreadFactory) {
    this.app = app;
    this.client = client;
    this.sources = sources;
    this.router = router;
    this.planner = planner;
    this.cursors = cursors;
    this.receiverQueueSize = receiverQueueSize;
    this.entryReads = entryReads;
    this.meters = meters;
    this.partitionMeters = partitionMeters;
    this.lister = new PartitionLister(admin, sources, owned);
    this.fetchers =
        new Fetchers(
            app,
            client,
            receiverQueueSize,
            fetcherThreads,
            fetcherThreadFactory,
            gate,
            onFailure,
            Metric.SOURCE_READER_SWITCHES.counter(meters, app),
            this::matchedByPattern);
    this.discovered = Metric.SOURCE_PARTITIONS_DISCOVERED.counter(meters, app);
    Metric.SOURCE_PARTITIONS.gauge(partitions, Map::size).tag("app", app).register(meters);
  }

  /** Every partition of every source now; explicit topics that do not exist are an error. */
  public Map<String, SourceBinding> resolvePartitions() {
    return lister.resolvePartitions();
  }

  /** Starts one reader per partition, and its durable cursor; blocks until all have started. */
  public void startAll(Map<String, SourceBinding> assignment, Map<String, PartitionStart> plan) {
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (Map.Entry<String, SourceBinding> e : assignment.entrySet()) {
      started.add(startPartition(e.getKey(), e.getValue(), plan.get(e.getKey())));
    }
    join(started);
  }

  private CompletableFuture<Void> startPartition(
      String topic, SourceBinding binding, PartitionStart start) {
    // routed to a group: not while a regroup replaces the groups
    return gate.routed(() -> startRouted(topic, binding, start));
  }

  private CompletableFuture<Void> startRouted(
      String topic, SourceBinding binding, PartitionStart start) {
    ProcessingGroup group = router.apply(topic);
    InputPartition input =
        new InputPartition(
            binding.index(),
            topic,
            binding.source().badRecordPolicy(),
            binding.source().maxOutOfOrderness().toMillis(),
            binding.source().idleTimeout().toNanos());
    SourcePartition partition =
        new SourcePartition(
            input,
            StartPlanner.subscriptionOf(app, binding),
            new PartitionDecoder(binding.decoder(), binding.source().maxRecordBytes()),
            group);
    input.setStateScope(scopeIn(group, input));
    input.setRecordsCounter(Metric.SOURCE_RECORDS.counter(meters, app, "topic", input.baseTopic()));
    if (partitionMeters) {
      Metric.SOURCE_LAG
          .gauge(
              input,
              p -> p.lastPublishTime() == 0 ? 0 : System.currentTimeMillis() - p.lastPublishTime())
          .tag("app", app)
          .tag("partition", topic)
          .register(meters);
    }
    group.addPartition(input);
    partitions.put(topic, partition);
    CompletableFuture<Void> cursor = cursors.subscribe(topic, partition.subscription, start);
    CompletableFuture<Void> reader;
    if (Fetchers.readsEntries(entryReads, topic)) {
      partition.splitter = new EntrySplitter(topic, start, partition.decoder);
      reader =
          EntryReader.create(
                  client, topic, start.id(), start.inclusive(), receiverQueueSize, app + "-reader")
              .thenAccept(
                  r -> {
                    partition.entries = r;
                    if (fetchers.closed()) {
                      // created after the readers were closed: the client does not list it, so
                      // closing the client would not close it
                      r.closeAsync();
                    }
                  });
    } else {
      reader = fetchers.newReader(topic, start).createAsync().thenAccept(r -> partition.reader = r);
    }
    // The fetcher starts once both exist: a partition whose start fails has read nothing, so
    // forgetting it lets the next discovery start it afresh.
    return CompletableFuture.allOf(cursor, reader)
        .thenRun(() -> fetchers.start(partition))
        .exceptionally(
            t -> {
              forget(partition, reader);
              Throwable cause = t instanceof CompletionException ? t.getCause() : t;
              if (cause instanceof PulsarClientException.ConsumerBusyException) {
                throw new ConfigException(
                    "Subscription "
                        + partition.subscription
                        + " on "
                        + topic
                        + " is held by another consumer: another instance of app "
                        + app
                        + " is running, or another app uses the same subscription. Sluice runs"
                        + " one instance per subscription; stop the other or choose another"
                        + " subscription.",
                    cause);
              }
              throw new SourceException("Cannot start reading " + topic + ": " + cause, cause);
            });
  }

  /**
   * Undoes a partition's start that failed: the reader or cursor that was created is closed, and
   * the partition is no longer known, so discovery tries it again.
   */
  private void forget(SourcePartition partition, CompletableFuture<Void> readerCreated) {
    partitions.remove(partition.topic, partition);
    partition.group.removePartition(partition.input);
    var lag = meters.find(Metric.SOURCE_LAG.key()).tag("partition", partition.topic).gauge();
    if (lag != null) {
      meters.remove(lag);
    }
    cursors.forget(partition.topic);
    readerCreated.thenRun(partition::closeReader); // done: allOf failed only once both had
  }

  /** Looks for new partitions and topics; new ones start at their durable cursor or earliest. */
  public void discover() {
    if (fetchers.closed()) {
      return;
    }
    try {
      Map<String, SourceBinding> fresh = new HashMap<>();
      for (SourceBinding binding : sources) {
        for (String topic : lister.partitionsOf(binding, false)) {
          if (!partitions.containsKey(topic)) {
            fresh.put(topic, binding);
          }
        }
      }
      if (fresh.isEmpty()) {
        return;
      }
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (Map.Entry<String, PartitionStart> e : planner.planDiscovered(fresh).entrySet()) {
        LOG.info("[{}] discovered {}; reading from {}", app, e.getKey(), e.getValue().id());
        started.add(startPartition(e.getKey(), fresh.get(e.getKey()), e.getValue()));
        discovered.increment();
      }
      join(started);
    } catch (RuntimeException e) {
      if (!fetchers.closed()) {
        LOG.warn("[{}] discovery failed; retrying at the next interval", app, e);
      }
    }
  }

  /** Each partition and the name of the slot group it feeds now. */
  public Map<String, String> groupNameOfPartition() {
    Map<String, String> out = new HashMap<>();
    partitions.forEach((topic, partition) -> out.put(topic, partition.group.name()));
    return out;
  }

  public Set<String> partitionNames() {
    return Set.copyOf(partitions.keySet());
  }

  private boolean matchedByPattern(SourcePartition partition) {
    return sources.stream()
        .anyMatch(
            b -> b.index() == partition.input.sourceIndex() && b.source().pattern().isPresent());
  }

  /**
   * Runs {@code action} while no fetcher publishes and no partition is routed; false, without
   * running it, if the fetchers could not be paused within {@code patience}.
   */
  public boolean paused(BooleanSupplier action, Duration patience) {
    return gate.paused(action, patience);
  }

  /** Routes every partition again through the router (while {@link #paused}). */
  public void reroute() {
    for (SourcePartition partition : partitions.values()) {
      ProcessingGroup group = router.apply(partition.topic);
      partition.group = group;
      partition.input.setStateScope(scopeIn(group, partition.input));
      group.addPartition(partition.input);
    }
  }

  private static byte[] scopeIn(ProcessingGroup group, InputPartition input) {
    return group.topicScoped() ? KeyedStateBackend.scopeOf(input.baseTopic()) : new byte[0];
  }

  /**
   * Stops the fetchers (no more messages reach the rings) and starts closing the readers; the
   * returned future completes once every reader is closed, which the app waits for only when it
   * releases the client, so the readers close while the final checkpoint runs.
   */
  public CompletableFuture<Void> closeReaders() {
    fetchers.close();
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (SourcePartition partition : partitions.values()) {
      closing.add(partition.closeReader());
    }
    return CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new));
  }

  /** Waits up to 30 s for {@link #closeReaders}' future; a failure is only logged. */
  public void awaitReadersClosed(CompletableFuture<Void> closing) {
    try {
      closing.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("[{}] closing readers: {}", app, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void join(List<CompletableFuture<Void>> futures) {
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new SourceException("Cannot start the partition readers: " + cause, cause);
    } catch (TimeoutException e) {
      throw new SourceException("Partition readers did not start within 120 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SourceException("interrupted while starting readers", e);
    }
  }
}
