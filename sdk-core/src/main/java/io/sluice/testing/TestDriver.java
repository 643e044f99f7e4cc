package io.sluice.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.runtime.DriverRuntime;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import io.sluice.stream.DataStream;
import io.sluice.stream.internal.Streams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a Sluice pipeline without a broker, on the calling thread, with real RocksDB state and real
 * checkpoints: for unit tests of operators, keyed state and windows.
 *
 * <pre>{@code
 * CollectingSink<WindowResult<String, Long>> out = new CollectingSink<>("out");
 * try (TestDriver driver = TestDriver.create(tempDir)) {
 *   driver.stream(PulsarSource.topics("clicks"))
 *         .keyBy(SourceRecord::key, Serde.strings())
 *         .window(WindowAssigner.tumbling(Duration.ofMinutes(1)))
 *         .aggregate(new CountAgg(), Serde.longs())
 *         .sinkTo(out);
 *   driver.start();
 *   driver.send("clicks", 0, "user-1", "{}", 1_000);
 *   driver.send("clicks", 0, "user-1", "{}", 61_000);   // moves the watermark past minute 0
 *   driver.tick();
 *   driver.checkpoint();                                  // sink output becomes visible
 *   assertThat(out.committed()).containsExactly(new WindowResult<>("user-1", 0, 60_000, 1L));
 * }
 * }</pre>
 *
 * <p>Processing time is the driver's own clock ({@link #advanceProcessingTime}); it drives idle
 * partitions. Creating a new driver on the same state directory recovers like a restarted app.
 */
public final class TestDriver implements AutoCloseable {
  private final JobGraph graph = new JobGraph();
  private final DriverRuntime runtime;
  private final MeterRegistry meters;

  private TestDriver(Path stateDir, MeterRegistry meters) {
    this.meters = meters;
    this.runtime = new DriverRuntime("test-driver", graph, stateDir, meters);
  }

  public static TestDriver create(Path stateDir) {
    Objects.requireNonNull(stateDir, "stateDir must not be null");
    return new TestDriver(stateDir, new SimpleMeterRegistry());
  }

  public DataStream<SourceRecord> stream(PulsarSource source) {
    Objects.requireNonNull(source, "source must not be null");
    return Streams.dataStream(graph.addSource(source));
  }

  public <T> DataStream<T> stream(PulsarSource source, RecordDecoder<T> decoder) {
    Objects.requireNonNull(source, "source must not be null");
    Objects.requireNonNull(decoder, "decoder must not be null");
    return Streams.dataStream(graph.addSource(source, decoder));
  }

  /** Compiles the pipeline and recovers the newest checkpoint in the state directory, if any. */
  public TestDriver start() {
    runtime.start();
    return this;
  }

  /**
   * Feeds a message to partition {@code partition} of {@code topic} (-1: a non-partitioned topic).
   * Short topic names mean {@code persistent://public/default/}.
   */
  public void send(String topic, int partition, String key, byte[] value, long eventTime) {
    try {
      runtime.send(qualify(topic), partition, key, value, eventTime, Map.of());
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public void send(String topic, int partition, String key, String value, long eventTime) {
    send(topic, partition, key, value.getBytes(StandardCharsets.UTF_8), eventTime);
  }

  /** Re-evaluates the watermark (production does this every 100 ms). */
  public void tick() {
    try {
      runtime.tick();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public void advanceProcessingTime(Duration duration) {
    try {
      runtime.advanceProcessingTime(duration);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The watermark of the (single) slot group; {@code Long.MIN_VALUE} before the first. */
  public long watermark() {
    return runtime.watermark();
  }

  /** Completes a checkpoint: state and positions written atomically, sinks committed. */
  public long checkpoint() {
    return runtime.checkpoint();
  }

  public MeterRegistry meterRegistry() {
    return meters;
  }

  /** Stops like a killed process: nothing after the last checkpoint is kept. */
  @Override
  public void close() {
    runtime.close();
  }

  private static String qualify(String topic) {
    return topic.contains("://") ? topic : "persistent://public/default/" + topic;
  }
}
