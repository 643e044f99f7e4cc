package io.sluice.internal.graph;

import io.sluice.errors.ConfigException;
import io.sluice.sink.Sink;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pulsar.common.naming.TopicName;

/** The sources, operators and sinks an app declared before {@code start()}. */
public final class JobGraph {
  /** A source and the root of the operators reading it. */
  public record SourceBinding(
      int index,
      PulsarSource source,
      RecordDecoder<?> decoder,
      StreamNode<?> root,
      Sink<DeadLetter> deadLetters) {}

  private final String app;
  private final int shards;
  private final Duration checkpointInterval;
  private final List<SourceBinding> sources = new ArrayList<>();
  private final Map<String, Sink<?>> sinks = new LinkedHashMap<>();
  private final List<String> repartitionTopics = new ArrayList<>();
  private volatile boolean frozen;
  private int operatorIds;

  /** The graph of a one-shard app that is not started on a broker (the test driver's). */
  public JobGraph() {
    this("app", 1, Duration.ofSeconds(5));
  }

  /** The graph of {@code app}, which runs as {@code shards} units (1: not sharded). */
  public JobGraph(String app, int shards, Duration checkpointInterval) {
    this.app = app;
    this.shards = shards;
    this.checkpointInterval = checkpointInterval;
  }

  String app() {
    return app;
  }

  int shards() {
    return shards;
  }

  Duration checkpointInterval() {
    return checkpointInterval;
  }

  /** A stable id for a stateful operator: its state names derive from it (keep graphs stable). */
  int nextOperatorId() {
    return operatorIds++;
  }

  public StreamNode<SourceRecord> addSource(PulsarSource source) {
    checkOpen();
    StreamNode<SourceRecord> root = new StreamNode<>(this);
    sources.add(new SourceBinding(sources.size(), source, null, root, deadLetterSink(source)));
    return root;
  }

  /** A source whose records are decoded on the reader threads before the ring. */
  public <T> StreamNode<T> addSource(PulsarSource source, RecordDecoder<T> decoder) {
    checkOpen();
    StreamNode<T> root = new StreamNode<>(this);
    sources.add(new SourceBinding(sources.size(), source, decoder, root, deadLetterSink(source)));
    return root;
  }

  private Sink<DeadLetter> deadLetterSink(PulsarSource source) {
    if (source.deadLetterTopic().isEmpty()) {
      return null;
    }
    String topic = source.deadLetterTopic().get();
    String name = "dead-letter:" + topic;
    @SuppressWarnings("unchecked")
    Sink<DeadLetter> existing = (Sink<DeadLetter>) sinks.get(name);
    if (existing != null) {
      return existing;
    }
    Sink<DeadLetter> sink =
        PulsarSinks.<DeadLetter>pulsar(
            name,
            topic,
            d -> d.record().value(),
            d -> d.record().key(),
            DeadLetter::properties,
            null);
    registerSink(sink);
    return sink;
  }

  void registerSink(Sink<?> sink) {
    checkOpen();
    String name = sink.name();
    if (name == null || name.isBlank()) {
      throw new ConfigException("Sink " + sink + " has no name: Sink.name() must be non-empty");
    }
    Sink<?> existing = sinks.putIfAbsent(name, sink);
    if (existing != null && existing != sink) {
      throw new ConfigException(
          "Two sinks are named '" + name + "': sink names must be unique within an app");
    }
  }

  /**
   * The namespace of the app's own topics (changelog, lease, repartition): its first source's (a
   * pattern's namespace, or its first topic's).
   */
  public String homeNamespace() {
    PulsarSource first = sources.get(0).source();
    return first.pattern().isPresent()
        ? first.patternNamespace()
        : TopicName.get(first.topicList().get(0)).getNamespace();
  }

  /** A new repartition topic's name; the runtime creates it with one partition per shard. */
  String addRepartitionTopic() {
    String topic =
        "persistent://"
            + homeNamespace()
            + "/__sluice-repartition-"
            + app
            + "-"
            + repartitionTopics.size();
    repartitionTopics.add(topic);
    return topic;
  }

  /** The repartition topics of the app's keyed streams (none unless it is sharded). */
  public List<String> repartitionTopics() {
    return List.copyOf(repartitionTopics);
  }

  void checkOpen() {
    if (frozen) {
      throw new IllegalStateException("the job graph cannot change after start()");
    }
  }

  public void freeze() {
    frozen = true;
  }

  /** Freezes the graph for a start, refusing one without a source, naming the fix. */
  public void freezeForStart() {
    freeze();
    if (sources.isEmpty()) {
      throw new ConfigException(
          "The app " + app + " has no source: call stream(...) before start()");
    }
  }

  public List<SourceBinding> sources() {
    return List.copyOf(sources);
  }

  public Map<String, Sink<?>> sinks() {
    return Map.copyOf(sinks);
  }
}
