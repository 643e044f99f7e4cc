package io.sluice.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ConfigException;
import io.sluice.function.KeyedProcessFunction;
import io.sluice.internal.graph.JobGraph;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.stream.internal.Streams;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Where keyBy repartitions: only in a sharded app, and not when the input says it need not. */
class KeyByShardsTest {
  private static final KeyedProcessFunction<String, String, String> ECHO =
      (value, ctx, out) -> out.collect(value);

  private static DataStream<String> input(JobGraph graph) {
    return Streams.<DataStream<SourceRecord>>dataStream(
            graph.addSource(PulsarSource.topics("orders")))
        .map(r -> new String(r.value()));
  }

  @Test
  void shouldNotRepartitionInAnAppOfOneShard() {
    JobGraph graph = new JobGraph("one", 1, Duration.ofSeconds(1));
    input(graph).keyBy(v -> v, Serde.strings(), Serde.strings()).process(ECHO);
    input(graph).keyBy(v -> v, Serde.strings()).process(ECHO);

    assertThat(graph.repartitionTopics()).isEmpty();
    assertThat(graph.sources()).hasSize(2);
  }

  @Test
  void shouldNotRepartitionAnInputPartitionedByTheKey() {
    JobGraph graph = new JobGraph("sharded", 4, Duration.ofSeconds(1));
    input(graph).keyBy(v -> v, Serde.strings()).inputPartitionedByKey().process(ECHO);

    assertThat(graph.repartitionTopics()).isEmpty();
  }

  @Test
  void shouldRefuseAShardedKeyByWithNeitherASerdeNorAPartitionedInput() {
    JobGraph graph = new JobGraph("sharded", 4, Duration.ofSeconds(1));
    KeyedStream<String, String> keyed = input(graph).keyBy(v -> v, Serde.strings());

    assertThatThrownBy(() -> keyed.process(ECHO))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("keyBy in the sharded app sharded needs its records repartitioned")
        .hasMessageContaining("keyBy(key, keySerde, valueSerde)")
        .hasMessageContaining("inputPartitionedByKey()");
    assertThat(graph.repartitionTopics()).isEmpty();
  }

  @Test
  void shouldNameTheMissingPulsarSinkModuleWhenItMustRepartition() {
    // sdk-core's tests run without sdk-sinks, which holds the transactional Pulsar sink
    JobGraph graph = new JobGraph("sharded", 2, Duration.ofSeconds(1));
    KeyedStream<String, String> keyed =
        input(graph).keyBy(v -> v, Serde.strings(), Serde.strings());

    assertThatThrownBy(() -> keyed.process(ECHO))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("__sluice-repartition-sharded-0")
        .hasMessageContaining("io.sluice:sdk-sinks");
  }
}
