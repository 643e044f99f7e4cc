package io.sluice.sink.pulsar;

import io.sluice.sink.Sink;
import io.sluice.testkit.PulsarFixture;
import io.sluice.testkit.sink.SinkCompatibilityKit;
import io.sluice.testkit.sink.TestRecord;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Pulsar sink against the shared real broker: the compatibility kit. Each run writes to a topic
 * of its own; what is visible is what a reader gets, which is only committed transactions' output.
 *
 * <p>The outage test is skipped: the sink writes to the broker the kit's job reads from, so
 * stopping it stops the input too. {@code BrokerCrashIT} (sdk-it) covers a job with this sink
 * riding out broker crashes exactly once.
 */
public class PulsarSinkIT extends SinkCompatibilityKit {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final Pattern ID = Pattern.compile("\"id\":(\\d+)");

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

  @Override
  protected Sink<TestRecord> createSink(String server, String run) {
    return sink(server, run);
  }

  @Override
  protected String kind() {
    return "pulsar";
  }

  /** The shared broker's service and admin URLs, comma-separated. */
  @Override
  protected String server() {
    return PulsarFixture.broker().serviceUrl() + "," + PulsarFixture.broker().adminUrl();
  }

  @Override
  protected String newRun() {
    try {
      String topic = PulsarFixture.uniqueTopic("pulsar-kit-" + RUNS.incrementAndGet());
      PulsarFixture.admin().topics().createNonPartitionedTopic(topic);
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
    List<String> previous = PulsarFixture.readAll(run);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      List<String> now = PulsarFixture.readAll(run);
      if (now.size() == previous.size()) {
        return now;
      }
      previous = now;
    }
    return previous;
  }

  @Override
  protected boolean canStopServer() {
    return false;
  }

  @Override
  protected void stopServer() {
    throw new UnsupportedOperationException("the shared broker is not stopped under other tests");
  }

  @Override
  protected void startServer() {
    throw new UnsupportedOperationException("the shared broker is not stopped under other tests");
  }
}
