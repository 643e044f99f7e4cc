package io.sluice.internal.graph;

import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.source.PulsarSource;
import io.sluice.state.Serde;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Function;

/**
 * A keyBy's hop through a repartition topic, in a sharded app whose input is not partitioned by the
 * key: each shard writes its records to the topic keyed by the key, and each shard reads the
 * topic's partition of its own number, so all of a key's records meet in one shard's state.
 *
 * <pre>
 *  shard 0: its input partitions ─▶ write by key ─┐         ┌─▶ partition 0 ─▶ shard 0: keyed ops
 *  shard 1: its input partitions ─▶ write by key ─┴─▶ topic ┴─▶ partition 1 ─▶ shard 1: keyed ops
 * </pre>
 *
 * <p>The writes go through the transactional Pulsar sink ({@link PulsarSinks}) under the writing
 * shard's checkpoint, so a record becomes readable once, when that checkpoint commits, and a crash
 * before that aborts it and the input is read again. The reading side is a source like any other
 * (positions in the reading shard's checkpoints), from the earliest message. The topic {@code
 * __sluice-repartition-<app>-<n>} has one partition per shard; the runtime creates it.
 *
 * <p>Records reach the keyed operators one checkpoint interval later than without the hop. Each
 * message carries its record's event time; as the shards' writes interleave in the topic, the
 * reading source's watermark allows the sources' out-of-orderness plus two checkpoint intervals.
 */
final class Repartition {
  private Repartition() {}

  /** What one record is written as: the key (as text, for the topic's key routing), the value. */
  private record Framed(long eventTime, String key, byte[] value) {}

  static <K, T> StreamNode<T> insert(
      JobGraph graph,
      StreamNode<T> upstream,
      Function<? super T, K> keyFunction,
      Serde<K> keySerde,
      Serde<T> valueSerde) {
    String topic = graph.addRepartitionTopic();
    Sink<Framed> sink =
        PulsarSinks.pulsar(
            "repartition:" + topic, topic, Framed::value, Framed::key, null, Framed::eventTime);
    graph.registerSink(sink);
    StreamNode<T> downstream =
        graph.addSource(readerOf(graph, topic), record -> valueSerde.deserialize(record.value()));
    Base64.Encoder base64 = Base64.getEncoder();
    upstream.add(
        group -> {
          SinkWriter<Framed> writer = group.writer(sink);
          return value -> {
            K key = keyFunction.apply(value);
            if (key == null) {
              throw new NullPointerException("keyBy function returned null for " + value);
            }
            writer.write(
                new Framed(
                    group.currentEventTime(),
                    base64.encodeToString(keySerde.serialize(key)),
                    valueSerde.serialize(value)));
          };
        });
    return downstream;
  }

  private static PulsarSource readerOf(JobGraph graph, String topic) {
    Duration outOfOrder = Duration.ZERO;
    for (JobGraph.SourceBinding binding : graph.sources()) {
      Duration own = binding.source().maxOutOfOrderness();
      outOfOrder = own.compareTo(outOfOrder) > 0 ? own : outOfOrder;
    }
    Duration idle = graph.sources().get(0).source().idleTimeout();
    return PulsarSource.topics(topic)
        .watermarks(outOfOrder.plus(graph.checkpointInterval().multipliedBy(2)), idle);
  }
}
