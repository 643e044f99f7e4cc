package io.sluice.it;

import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.window.AggregateFunction;
import io.sluice.window.WindowAssigner;
import io.sluice.window.WindowResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The window job the crash test kills: counts records per key in 10-second tumbling event-time
 * windows and writes {@code key,windowStart,count} through the transactional Pulsar sink.
 *
 * <p>Args: serviceUrl adminUrl inputTopic outputTopic stateDir
 */
public final class WindowCrashJob {
  private WindowCrashJob() {}

  /** Counts elements. */
  static final class Count implements AggregateFunction<SourceRecord, Long, Long> {
    @Override
    public Long createAccumulator() {
      return 0L;
    }

    @Override
    public Long add(SourceRecord value, Long acc) {
      return acc + 1;
    }

    @Override
    public Long getResult(Long acc) {
      return acc;
    }
  }

  public static void main(String[] args) throws Exception {
    Sluice app =
        Sluice.builder()
            .name("window-crash-job")
            .pulsar(args[0], args[1])
            .stateDir(Path.of(args[4]))
            .checkpointInterval(Duration.ofMillis(300))
            .discoveryInterval(Duration.ZERO)
            .build();
    app.stream(
            PulsarSource.topics(args[2])
                .subscription("window-crash-job")
                .watermarks(Duration.ZERO, Duration.ofSeconds(30)))
        .keyBy(SourceRecord::key, Serde.strings())
        .window(WindowAssigner.tumbling(Duration.ofSeconds(10)))
        .aggregate(new Count(), Serde.longs())
        .sinkTo(
            PulsarSink.<WindowResult<String, Long>>builder()
                .topic(args[3])
                .serializer(
                    r ->
                        (r.key() + "," + r.windowStart() + "," + r.value())
                            .getBytes(StandardCharsets.UTF_8))
                .build());
    JobOutput.runAndReport(app);
  }
}
