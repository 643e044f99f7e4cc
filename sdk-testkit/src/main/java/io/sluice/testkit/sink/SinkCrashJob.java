package io.sluice.testkit.sink;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.sink.Sink;
import io.sluice.source.PulsarSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The job the kit's crash test kills: reads "m-&lt;id&gt;" records keyed "k&lt;n&gt;" and writes
 * them as {@link TestRecord}s to the sink under test.
 *
 * <p>Args: kitClass server run serviceUrl adminUrl inputTopic stateDir checkpointMillis
 */
public final class SinkCrashJob {
  private SinkCrashJob() {}

  /** The sink of the kit subclass named {@code kitClass}, created as the test's own. */
  static Sink<TestRecord> sink(String kitClass, String server, String run) throws Exception {
    var constructor =
        Class.forName(kitClass).asSubclass(SinkCompatibilityKit.class).getDeclaredConstructor();
    constructor.setAccessible(true); // test classes are often package-private
    return constructor.newInstance().createSink(server, run);
  }

  public static void main(String[] args) throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Sluice app =
        Sluice.builder()
            .name("sink-crash-job")
            .pulsar(args[3], args[4])
            .stateDir(Path.of(args[6]))
            .checkpointInterval(Duration.ofMillis(Long.parseLong(args[7])))
            .discoveryInterval(Duration.ZERO)
            // The writers ride out an outage by blocking (up to their retryTimeout), which delays
            // checkpoints rather than failing them. A prepare that still gives up fails only its
            // checkpoint; at 300 ms per checkpoint the default of 10 in a row would stop the app
            // after ~3 s of such failures, so allow about a minute's worth of them.
            .maxConsecutiveCheckpointFailures(200)
            .meterRegistry(meters)
            .build();
    Sink<TestRecord> sink = sink(args[0], args[1], args[2]);
    app.stream(PulsarSource.topics(args[5]).subscription("sink-crash-job"))
        .map(
            r ->
                new TestRecord(
                    Long.parseLong(new String(r.value(), StandardCharsets.UTF_8).substring(2)),
                    r.key()))
        .sinkTo(sink);
    app.start();
    System.out.println("RUNNING layer=" + app.recoveryLayer());
    while (app.state() == Sluice.State.RUNNING) {
      // the sink's own retries, and the commit thread's retries of a commit (an outage may
      // fall while a commit is running: then only the latter count)
      double retries =
          meters.find("sluice.sink.retries").counters().stream().mapToDouble(c -> c.count()).sum()
              + meters.find("sluice.sink.commit.retries").counters().stream()
                  .mapToDouble(c -> c.count())
                  .sum();
      System.out.println(
          "CHECKPOINT " + app.lastCompletedCheckpoint() + " retries=" + (long) retries);
      Thread.sleep(200);
    }
    System.out.println("STOPPED " + app.state() + " " + app.failure().orElse(null));
    app.close();
  }
}
