package io.sluice.it;

import io.sluice.Sluice;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.state.Serde;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The job {@link RegroupCrashIT} kills: over every topic matching a prefix, with automatic slot
 * groups re-planned every second, it counts records per key in keyed state and writes each record
 * with its key's running count to the output topic through the transactional Pulsar sink. Prints
 * the regroup counter as it runs.
 *
 * <p>Args: serviceUrl adminUrl topicPrefix outputTopic stateDir
 */
public final class RegroupCrashJob {
  private RegroupCrashJob() {}

  public static void main(String[] args) throws Exception {
    Sluice app =
        Sluice.builder()
            .name("regroup-crash")
            .pulsar(args[0], args[1])
            .stateDir(Path.of(args[4]))
            .checkpointInterval(Duration.ofMillis(300))
            .discoveryInterval(Duration.ZERO)
            .autoSlotGroups(50_000, 1)
            .regroupInterval(Duration.ofSeconds(1))
            .build();
    app.stream(PulsarSource.topicsMatching(args[2] + "-.*").subscription("regroup-crash"))
        .keyBy(r -> r.key(), Serde.strings())
        .process(CrashJob.countPerKey())
        .sinkTo(
            PulsarSink.<String>builder()
                .topic(args[3])
                .serializer(s -> s.getBytes(StandardCharsets.UTF_8))
                .build());
    app.start();
    System.out.println("RUNNING groups=" + app.slotGroups().keySet());
    while (app.state() == Sluice.State.RUNNING) {
      System.out.println(
          "REGROUPS "
              + (long) app.meterRegistry().get("sluice.slotgroup.regroups").counter().count());
      Thread.sleep(200);
    }
    System.out.println("STOPPED " + app.state() + " " + app.failure().orElse(null));
    app.close();
  }
}
