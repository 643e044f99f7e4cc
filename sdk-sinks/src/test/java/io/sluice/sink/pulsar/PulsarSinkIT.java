package io.sluice.sink.pulsar;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sink.Sink;
import io.sluice.sink.SinkWriter;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.PulsarStandalone;
import io.sluice.testkit.sink.SinkCompatibilityKit;
import io.sluice.testkit.sink.TestRecord;
import io.sluice.testkit.sink.TestSinkContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;

/**
 * The Pulsar sink against a real broker: the compatibility kit. Each run writes to a topic of its
 * own; what is visible is what a reader gets, which is only committed transactions' output.
 *
 * <p>The sink writes to a broker of its own, started on first use beside the shared one the kit's
 * job reads from, so the outage test can stop the sink's broker without stopping the input. {@code
 * BrokerCrashIT} (sdk-it) covers a job whose input and output share one crashing broker.
 */
public class PulsarSinkIT extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
  private static PulsarStandalone output;
  private static PulsarAdmin outputAdmin;
  private static PulsarClient outputClient;

  /** The broker the sink writes to, started on first use and stopped when the JVM exits. */
  private static synchronized PulsarStandalone output() {
    if (output == null) {
      Path dir = Path.of("target", "pulsar-sink-output-" + ProcessHandle.current().pid());
      PulsarStandalone broker = PulsarStandalone.start(dir);
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "pulsar-sink-output-stop"));
      output = broker;
    }
    return output;
  }

  private static synchronized PulsarAdmin outputAdmin() throws Exception {
    if (outputAdmin == null) {
      outputAdmin = PulsarAdmin.builder().serviceHttpUrl(output().adminUrl()).build();
    }
    return outputAdmin;
  }

  private static synchronized PulsarClient outputClient() throws Exception {
    if (outputClient == null) {
      outputClient = PulsarClient.builder().serviceUrl(output().serviceUrl()).build();
    }
    return outputClient;
  }

  /** The kit's sink: one JSON message per record, keyed by the record's key. */
  public static Sink<TestRecord> sink(String server, String run) {
    String[] urls = server.split(",", 2);
    return PulsarSink.<TestRecord>builder()
        .name("pulsar-kit")
        .topic(run)
        .serviceUrl(urls[0])
        .adminUrl(urls[1])
        .serializer(
            r ->
                ("{\"id\":"
                        + r.id()
                        + ",\"k\":\""
                        + Objects.requireNonNull(r.key(), "key must not be null")
                        + "\"}")
                    .getBytes(StandardCharsets.UTF_8))
        .key(TestRecord::key)
        .build();
  }

  /**
   * A topic's transaction buffer takes its first snapshot at the first transactional write, which
   * Pulsar 4.0.7 can get wrong when several producers race there: the sink makes that write itself
   * before its writers send, so the buffer of every partition is ready once a writer exists.
   */
  @Test
  void shouldReadyEveryPartitionsTransactionBufferBeforeTheFirstSend() throws Exception {
    String topic = PulsarFixture.uniqueTopic("pulsar-kit-ready");
    outputAdmin().topics().createPartitionedTopic(topic, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(bufferState(topic + "-partition-" + i))
          .as("before the sink")
          .isNotEqualTo("Ready");
    }
    Sink<TestRecord> sink = sink(server(), topic);
    try (SinkWriter<TestRecord> writer = sink.createWriter(new TestSinkContext(sink.name(), 0))) {
      for (int i = 0; i < 3; i++) {
        assertThat(bufferState(topic + "-partition-" + i)).as("partition %d", i).isEqualTo("Ready");
      }
    }
    assertThat(PulsarFixture.readAll(outputAdmin(), outputClient(), topic))
        .as("the aborted first write is not visible")
        .isEmpty();
  }

  /** The buffer's state once the broker has loaded the partition. */
  private static String bufferState(String partition) throws Exception {
    outputAdmin().topics().getStats(partition); // loads it
    return outputAdmin().transactions().getTransactionBufferStats(partition).state;
  }

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "pulsar";
  }

  /** The output broker's service and admin URLs, comma-separated. */
  @Override
  protected String server() {
    return output().serviceUrl() + "," + output().adminUrl();
  }

  @Override
  protected String newRun() {
    try {
      String topic = PulsarFixture.uniqueTopic("pulsar-kit-" + RUNS.incrementAndGet());
      outputAdmin().topics().createNonPartitionedTopic(topic);
      return topic;
    } catch (Exception e) {
      throw new IllegalStateException("cannot create the run's topic", e);
    }
  }

  @Override
  protected Map<Long, Long> visibleCounts(String run) {
    Map<Long, Long> counts = new HashMap<>();
    try {
      for (String message : settledRead(run)) {
        Matcher m = ID.matcher(message);
        if (!m.find()) {
          throw new AssertionError("no id in " + message + " on " + run);
        }
        counts.merge(Long.parseLong(m.group(1)), 1L, Long::sum);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot read " + run, e);
    }
    return counts;
  }

  /**
   * Everything readable on {@code run}, read until two reads half a second apart agree: a
   * transaction's commit or abort marker reaches the topic's transaction buffer shortly after the
   * coordinator answered, and until then a reader sees nothing past that transaction's start.
   */
  private static List<String> settledRead(String run) throws Exception {
    List<String> previous = PulsarFixture.readAll(outputAdmin(), outputClient(), run);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      List<String> now = PulsarFixture.readAll(outputAdmin(), outputClient(), run);
      if (now.size() == previous.size()) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  /** The Pulsar client resends through an outage by itself; the sink counts no retries. */
  @Override
  protected boolean countsRetries() {
    return false;
  }

  /**
   * Kills the output broker (SIGKILL); its ports and data stay for {@link #startServer}. Not a
   * graceful stop: a standalone broker that shuts down stops its own bookie while it still answers
   * the transaction coordinator's clients, and the sink fails a transaction that meets that error
   * (the app stops and recovers from its last checkpoint on restart).
   */
  @Override
  protected void stopServer() {
    output().crash();
  }

  @Override
  protected void startServer() {
    output().restart();
  }
}
