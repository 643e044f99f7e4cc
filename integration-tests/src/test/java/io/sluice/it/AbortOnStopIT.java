package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.client;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.Sluice;
import io.sluice.errors.SluiceException;
import io.sluice.sink.pulsar.PulsarSink;
import io.sluice.source.PulsarSource;
import io.sluice.stream.DataStream;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output prepared for checkpoints that never completed is aborted when the app stops, not left open
 * until its next start: an open transaction of the Pulsar sink holds back every reader of the
 * sink's topic, even from messages published outside it, until the transaction ends.
 */
class AbortOnStopIT {
  @TempDir Path stateDir;

  @Test
  void shouldAbortTransactionsOfCheckpointsThatNeverCompletedWhenTheAppFails() throws Exception {
    String input = uniqueTopic("abort-stop-in");
    String output = uniqueTopic("abort-stop-out");
    admin().topics().createNonPartitionedTopic(input);
    admin().topics().createNonPartitionedTopic(output);
    PulsarFixture.produce(input, "m", 0, 200, 4);
    // long enough that only an abort by the app ends the transaction within this test
    PulsarSink<String> pulsar =
        PulsarSink.<String>builder()
            .name("out")
            .topic(output)
            .serializer(s -> s.getBytes(StandardCharsets.UTF_8))
            .transactionTimeout(Duration.ofMinutes(10))
            .build();
    // every checkpoint fails after the Pulsar sink prepared its transaction
    FlakySink failing = FlakySink.failingEveryPrepare();
    Sluice app =
        Sluice.builder()
            .name("abort-stop-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .maxConsecutiveCheckpointFailures(3)
            .build();
    DataStream<String> values =
        app.stream(PulsarSource.topics(input).subscription("abort-stop-sub"))
            .map(r -> new String(r.value(), StandardCharsets.UTF_8));
    values.sinkTo(pulsar);
    values.sinkTo(failing);
    app.start();
    Await.until(
        "the app to fail", Duration.ofSeconds(60), () -> app.state() == Sluice.State.FAILED);
    assertThat(app.awaitTermination(Duration.ofSeconds(60))).isTrue();
    assertThatThrownBy(app::close)
        .isInstanceOf(SluiceException.class)
        .hasMessageContaining("checkpoint");
    assertThat(failing.prepareCalls.get()).isGreaterThanOrEqualTo(3);

    // A plain message after the job's output: readable at once only if no transaction of the job
    // is still open before it.
    try (Producer<byte[]> producer = client().newProducer().topic(output).create()) {
      producer.send("marker".getBytes(StandardCharsets.UTF_8));
    }
    List<String> read = new ArrayList<>();
    try (Reader<byte[]> reader =
        client()
            .newReader(Schema.BYTES)
            .topic(output)
            .startMessageId(MessageId.earliest)
            .create()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!read.contains("marker") && System.nanoTime() < deadline) {
        Message<byte[]> m = reader.readNext(1, TimeUnit.SECONDS);
        if (m != null) {
          read.add(new String(m.getValue(), StandardCharsets.UTF_8));
        }
      }
    }
    // the job's output was aborted (no checkpoint completed), and nothing holds the marker back
    assertThat(read).containsExactly("marker");
  }
}
