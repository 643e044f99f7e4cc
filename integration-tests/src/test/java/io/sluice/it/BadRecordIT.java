package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.errors.SourceException;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.impl.MalformedBatches;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BadRecordIT {
  @TempDir Path stateDir;

  /** The event the decoder binds. */
  public record Event(long id, String user) {}

  private static String topicWithOneBadRecord() throws Exception {
    String topic = uniqueTopic("bad");
    admin().topics().createNonPartitionedTopic(topic);
    try (Producer<byte[]> p =
        PulsarFixture.client().newProducer(Schema.BYTES).topic(topic).create()) {
      p.send("{\"id\":1,\"user\":\"a\"}".getBytes());
      p.send("{\"id\":2,\"user\":".getBytes()); // truncated JSON
      p.send(new byte[0]); // empty payload
      p.send("{\"id\":3,\"user\":\"c\"}".getBytes());
    }
    return topic;
  }

  /** Event 1, an entry claiming to be a batch of 3 that is not one, then event 3. */
  private static String topicWithAMalformedEntry() throws Exception {
    String topic = uniqueTopic("malformed");
    admin().topics().createNonPartitionedTopic(topic);
    try (Producer<byte[]> p =
        PulsarFixture.client()
            .newProducer(Schema.BYTES)
            .topic(topic)
            .enableBatching(false)
            .create()) {
      p.send("{\"id\":1,\"user\":\"a\"}".getBytes());
      MalformedBatches.send(p, "{\"id\":2,\"user\":\"b\"}".getBytes(), 3);
      p.send("{\"id\":3,\"user\":\"c\"}".getBytes());
    }
    return topic;
  }

  /**
   * An entry whose batch cannot be split used to fail its fetcher whatever the policy, so the app
   * failed again at every start on the same entry. It is one bad record now: the default policy
   * fails naming it, SKIP counts it and reads on.
   */
  @Test
  void shouldHandAnEntryThatIsNotAWellFormedBatchToTheBadRecordPolicy() throws Exception {
    String topic = topicWithAMalformedEntry();
    Sluice strict = app("malformed-fail", new SimpleMeterRegistry()).build();
    strict.stream(PulsarSource.topics(topic), RecordDecoder.json(Event.class)).forEach(e -> {});
    strict.start();
    assertFailed(strict)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("Cannot decode the message")
        .hasMessageContaining("is not a well-formed batch of 3 messages")
        .hasMessageContaining(topic)
        .hasMessageContaining("onBadRecord(BadRecordPolicy.SKIP)");

    List<Event> seen = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app = app("malformed-skip", meters, stateDir.resolve("skip")).build()) {
      app.stream(
              PulsarSource.topics(topic).onBadRecord(BadRecordPolicy.SKIP),
              RecordDecoder.json(Event.class))
          .forEach(seen::add);
      app.start();
      Await.until("event 3", Duration.ofSeconds(30), () -> seen.size() >= 2);
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
    }
    assertThat(seen).containsExactly(new Event(1, "a"), new Event(3, "c"));
    assertThat(meters.get("sluice.source.bad.records").counter().count()).isEqualTo(1.0);
  }

  private Sluice.Builder app(String name, SimpleMeterRegistry meters) {
    return app(name, meters, stateDir);
  }

  private static Sluice.Builder app(String name, SimpleMeterRegistry meters, Path dir) {
    return Sluice.builder()
        .name(name)
        .pulsar(broker().serviceUrl(), broker().adminUrl())
        .stateDir(dir)
        .meterRegistry(meters)
        .checkpointInterval(Duration.ofMillis(300));
  }

  /** Waits for the app to fail on its own; the returned assertion is on what close() throws. */
  private static AbstractThrowableAssert<?, ? extends Throwable> assertFailed(Sluice app)
      throws InterruptedException {
    assertThat(app.awaitTermination(Duration.ofSeconds(30))).isTrue();
    assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
    return assertThatThrownBy(app::close);
  }

  @Test
  void shouldFailNamingTopicPartitionAndMessageByDefault() throws Exception {
    String topic = topicWithOneBadRecord();
    List<Event> seen = new CopyOnWriteArrayList<>();
    Sluice app = app("bad-fail", new SimpleMeterRegistry()).build();
    app.stream(PulsarSource.topics(topic), RecordDecoder.json(Event.class)).forEach(seen::add);
    app.start();
    assertFailed(app)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("Cannot decode the message")
        .hasMessageContaining(topic)
        .hasMessageContaining("onBadRecord(BadRecordPolicy.SKIP)");
    assertThat(seen).containsExactly(new Event(1, "a"));
  }

  /**
   * A decoder's exceptions are bad records; an Error thrown by a decoder (here what a failed static
   * initializer raises) ends the partition's fetcher, and must fail the app instead of leaving the
   * partition unread while the app keeps checkpointing.
   */
  @Test
  void shouldFailTheAppWhenADecoderThrowsAnError() throws Exception {
    String topic = topicWithOneBadRecord();
    Sluice app = app("bad-error", new SimpleMeterRegistry()).build();
    RecordDecoder<String> broken =
        r -> {
          throw new ExceptionInInitializerError("decoder class could not initialise");
        };
    app.stream(PulsarSource.topics(topic), broken).forEach(v -> {});
    app.start();
    assertFailed(app)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("The fetcher of " + topic + " failed")
        .hasRootCauseInstanceOf(ExceptionInInitializerError.class);
  }

  /**
   * Closing the app from its failure listener (a common way to react) must not hang. The listener
   * used to run on the failing thread, here the processing thread, and close() then waited for that
   * same thread to stop until its timeout (60 s).
   */
  @Test
  void shouldLetTheFailureListenerCloseTheApp() throws Exception {
    String topic = topicWithOneBadRecord();
    AtomicReference<Sluice> self = new AtomicReference<>();
    List<Throwable> closeThrew = new CopyOnWriteArrayList<>();
    Sluice app =
        app("bad-listener", new SimpleMeterRegistry())
            .onFailure(
                t -> {
                  try {
                    self.get().close();
                  } catch (RuntimeException e) {
                    closeThrew.add(e);
                  }
                })
            .build();
    self.set(app);
    app.stream(PulsarSource.topics(topic))
        .forEach(
            r -> {
              throw new IllegalStateException("a bug in an operator");
            });
    app.start();
    assertFailed(app).hasRootCauseMessage("a bug in an operator");
    // close() counts the app terminated just before it throws to the listener
    Await.until(
        "the listener's close() to return", Duration.ofSeconds(10), () -> !closeThrew.isEmpty());
    assertThat(closeThrew)
        .singleElement()
        .satisfies(e -> assertThat(e).hasRootCauseMessage("a bug in an operator"));
  }

  /**
   * A record fails the app while {@code start()} is still creating threads (the thread factory
   * makes each thread the starting thread asks for take a second, so the bad record is processed
   * meanwhile). The stop must wait for the start: no thread of the app may outlive it.
   */
  @Test
  void shouldStopEveryThreadWhenARecordFailsTheAppDuringStart() throws Exception {
    String topic = topicWithOneBadRecord();
    Thread starter = Thread.currentThread();
    ThreadFactory slowFromStarter =
        r -> {
          if (Thread.currentThread() == starter) {
            try {
              Thread.sleep(1000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return new Thread(r);
        };
    Sluice app =
        app("bad-start-race", new SimpleMeterRegistry())
            .threadFactory(slowFromStarter)
            .discoveryInterval(Duration.ofSeconds(1))
            .build();
    List<Event> seen = new CopyOnWriteArrayList<>();
    app.stream(PulsarSource.topics(topic), RecordDecoder.json(Event.class)).forEach(seen::add);
    app.start();
    assertFailed(app)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("Cannot decode the message");
    Await.until(
        "no thread of the app left",
        Duration.ofSeconds(20),
        () ->
            Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("sluice-bad-start-race-")));
  }

  @Test
  void shouldSkipAndCountBadRecordsWhenConfigured() throws Exception {
    String topic = topicWithOneBadRecord();
    List<Event> seen = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app = app("bad-skip", meters).build()) {
      app.stream(
              PulsarSource.topics(topic).onBadRecord(BadRecordPolicy.SKIP),
              RecordDecoder.json(Event.class))
          .forEach(seen::add);
      app.start();
      Await.until("two good records", Duration.ofSeconds(30), () -> seen.size() == 2);
      Await.until(
          "two bad records counted",
          Duration.ofSeconds(10),
          () -> meters.get("sluice.source.bad.records").counter().count() == 2.0);
    }
    assertThat(seen).containsExactly(new Event(1, "a"), new Event(3, "c"));
  }

  @Test
  void shouldSendExactlyTheBadRecordsToTheDeadLetterTopic() throws Exception {
    String topic = topicWithOneBadRecord();
    String dlq = uniqueTopic("dlq");
    admin().topics().createNonPartitionedTopic(dlq);
    List<Event> seen = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app = app("bad-dlq", meters).build()) {
      app.stream(PulsarSource.topics(topic).deadLetterTo(dlq), RecordDecoder.json(Event.class))
          .forEach(seen::add);
      app.start();
      Await.until("two good records", Duration.ofSeconds(30), () -> seen.size() == 2);
      long checkpoint = app.lastCompletedCheckpoint();
      Await.until(
          "a checkpoint after them",
          Duration.ofSeconds(30),
          () -> app.lastCompletedCheckpoint() > checkpoint + 1);
    }
    List<org.apache.pulsar.client.api.Message<byte[]>> dead = new java.util.ArrayList<>();
    try (var reader =
        PulsarFixture.client()
            .newReader()
            .topic(dlq)
            .startMessageId(org.apache.pulsar.client.api.MessageId.earliest)
            .create()) {
      while (reader.hasMessageAvailable()) {
        dead.add(reader.readNext(10, java.util.concurrent.TimeUnit.SECONDS));
      }
    }
    assertThat(dead).hasSize(2);
    assertThat(new String(dead.get(0).getValue())).isEqualTo("{\"id\":2,\"user\":");
    assertThat(dead.get(1).getValue()).isEmpty();
    assertThat(dead.get(0).getProperty("sluice.source.topic")).isEqualTo(topic);
    assertThat(dead.get(0).getProperty("sluice.error")).contains("JsonEOFException");
    assertThat(dead.get(1).getProperty("sluice.error")).contains("empty payload");
    assertThat(dead.get(0).getProperty("sluice.source.messageId")).isNotBlank();
    assertThat(meters.get("sluice.source.bad.records").counter().count()).isEqualTo(2.0);
    assertThat(seen).containsExactly(new Event(1, "a"), new Event(3, "c"));
  }
}
