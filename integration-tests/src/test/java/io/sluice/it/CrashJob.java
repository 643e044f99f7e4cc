package io.sluice.it;

import io.sluice.Sluice;
import io.sluice.config.PulsarSecurity;
import io.sluice.function.KeyedProcessFunction;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.stream.DataStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The job the crash tests kill: counts records per key in keyed state and writes every record, with
 * its key's running count, to the output topic through the transactional Pulsar sink.
 *
 * <p>Args: serviceUrl adminUrl inputTopics (comma-separated) outputTopic stateDir checkpointMillis
 * [txnTimeoutMillis]. System properties: {@code crashjob.app} (app and subscription name, default
 * crash-job), {@code crashjob.entryReads}, {@code crashjob.changelog}. Replicas run {@link
 * ReplicaJob}.
 */
public final class CrashJob {
  private CrashJob() {}

  /** Emits {@code value,key,n}: the record with its key's running count, kept in keyed state. */
  static KeyedProcessFunction<String, SourceRecord, String> countPerKey() {
    return (r, ctx, out) -> {
      ValueState<Long> count = ctx.valueState("count", Serde.longs());
      long n = count.value() == null ? 1 : count.value() + 1;
      count.update(n);
      out.collect(new String(r.value(), StandardCharsets.UTF_8) + "," + r.key() + "," + n);
    };
  }

  /**
   * With {@code -Dcrashjob.tokenFile} and {@code -Dcrashjob.trustCertificates}: a token and the CA
   * of a secured broker.
   */
  static PulsarSecurity security() {
    String tokenFile = System.getProperty("crashjob.tokenFile");
    if (tokenFile == null) {
      return PulsarSecurity.none();
    }
    return PulsarSecurity.builder()
        .tokenFile(Path.of(tokenFile))
        .trustCertificates(Path.of(System.getProperty("crashjob.trustCertificates")))
        .build();
  }

  public static void main(String[] args) throws Exception {
    String name = System.getProperty("crashjob.app", "crash-job");
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(args[0], args[1])
            .pulsarSecurity(security())
            .stateDir(Path.of(args[4]))
            .checkpointInterval(Duration.ofMillis(Long.parseLong(args[5])))
            .discoveryInterval(Duration.ZERO)
            .entryReads(Boolean.parseBoolean(System.getProperty("crashjob.entryReads", "true")))
            .stateChangelog(Boolean.getBoolean("crashjob.changelog"))
            .build();
    PulsarSource source = PulsarSource.topics(args[2].split(",")).subscription(name);
    DataStream<String> counted =
        app.stream(source).keyBy(r -> r.key(), Serde.strings()).process(countPerKey());
    PulsarSink.Builder<String> sink =
        PulsarSink.<String>builder()
            .topic(args[3])
            .serializer(s -> s.getBytes(StandardCharsets.UTF_8));
    if (args.length > 6) { // else derived from the checkpoint settings
      sink.transactionTimeout(Duration.ofMillis(Long.parseLong(args[6])));
    }
    counted.sinkTo(sink.build());
    JobOutput.runAndReport(app);
  }
}
