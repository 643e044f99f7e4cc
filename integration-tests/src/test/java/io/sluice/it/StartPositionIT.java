package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.produce;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.StartPosition;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartPositionIT {
  @TempDir Path stateDir;

  private Sluice start(
      String name,
      String topic,
      StartPosition start,
      Set<String> seen,
      SimpleMeterRegistry meters) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir.resolve(name))
            .meterRegistry(meters)
            .build();
    app.stream(PulsarSource.topics(topic).startAt(start))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .forEach(seen::add);
    app.start();
    return app;
  }

  /**
   * Creates {@code topic} with 2 partitions, 100 messages "old-i", then 100 "new-i"; returns a time
   * between the two.
   */
  private static long oldThenNew(String topic) throws Exception {
    admin().topics().createPartitionedTopic(topic, 2);
    produce(topic, "old", 0, 100, 10);
    Thread.sleep(50);
    long cut = System.currentTimeMillis();
    Thread.sleep(50);
    produce(topic, "new", 0, 100, 10);
    return cut;
  }

  @Test
  void shouldStartAtATimestampOrAtTheLatestMessage() throws Exception {
    String topic = uniqueTopic("start");
    long cut = oldThenNew(topic);

    Set<String> fromTimestamp = ConcurrentHashMap.newKeySet();
    Set<String> fromLatest = ConcurrentHashMap.newKeySet();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice byTime =
            start("by-time", topic, StartPosition.timestamp(cut), fromTimestamp, meters);
        Sluice latest =
            start("latest", topic, StartPosition.latest(), fromLatest, new SimpleMeterRegistry())) {
      produce(topic, "after", 0, 50, 10);
      Await.until("timestamp start", Duration.ofSeconds(30), () -> fromTimestamp.size() == 150);
      Await.until("latest start", Duration.ofSeconds(30), () -> fromLatest.size() == 50);
      assertThat(fromTimestamp).noneMatch(s -> s.startsWith("old-"));
      assertThat(fromLatest).allMatch(s -> s.startsWith("after-"));
      // per-topic record counter and per-partition lag gauge exist
      assertThat(meters.get("sluice.source.records").tag("topic", topic).counter().count())
          .isEqualTo(150.0);
      assertThat(meters.get("sluice.source.lag.ms").gauges()).hasSize(2);
      // every record published to the ring was taken out of it again
      assertThat(meters.get("sluice.pipeline.ring.occupancy").gauge().value()).isZero();
    }
  }

  /**
   * A subscription created for a start at a time is placed there: an app stopped before its first
   * checkpoint resumes from the durable cursor, which used to sit at the topic's first message (so
   * the next start read everything before the time too).
   */
  @Test
  void shouldPlaceANewDurableCursorAtTheConfiguredStart() throws Exception {
    String topic = uniqueTopic("start-cursor");
    long cut = oldThenNew(topic);
    produce(topic, "end", 0, 1, 1); // read last: once it is in, nothing else is coming
    for (int run = 1; run <= 2; run++) {
      // the second run has no checkpoint (none was taken): it starts from the durable cursor
      Set<String> seen = ConcurrentHashMap.newKeySet();
      try (Sluice app =
          Sluice.builder()
              .name("start-cursor")
              .pulsar(broker().serviceUrl(), broker().adminUrl())
              .stateDir(stateDir.resolve("start-cursor"))
              .checkpointInterval(Duration.ofHours(1)) // no checkpoint: the cursor stays put
              .finalCheckpointOnClose(false)
              .build()) {
        app.stream(
                PulsarSource.topics(topic)
                    .subscription("start-cursor-sub")
                    .startAt(StartPosition.timestamp(cut)))
            .map(r -> new String(r.value(), StandardCharsets.UTF_8))
            .forEach(seen::add);
        app.start();
        Await.until(
            "run " + run + ": the end marker",
            Duration.ofSeconds(30),
            () -> seen.contains("end-0"));
        seen.remove("end-0");
        assertThat(app.recoveryLayer())
            .isEqualTo(
                run == 1
                    ? io.sluice.state.RecoveryLayer.START_POSITION
                    : io.sluice.state.RecoveryLayer.DURABLE_CURSOR);
      }
      assertThat(seen).as("run " + run).hasSize(100).allMatch(s -> s.startsWith("new-"));
    }
  }

  /**
   * A start at a time with nothing at or after it yet reads what is published from then on, and
   * nothing older (the reader starts after the last message stored when the app looked).
   */
  @Test
  void shouldStartAtATimeWithNothingAfterItYetWithTheNextMessage() throws Exception {
    String topic = uniqueTopic("start-empty-time");
    admin().topics().createNonPartitionedTopic(topic);
    try (var producer = PulsarFixture.client().newProducer().topic(topic).create()) {
      for (int i = 0; i < 5; i++) {
        producer.send(("old-" + i).getBytes(StandardCharsets.UTF_8));
      }
    }
    Thread.sleep(50);
    long cut = System.currentTimeMillis();
    Set<String> seen = ConcurrentHashMap.newKeySet();
    try (Sluice app =
        start(
            "by-empty-time",
            topic,
            StartPosition.timestamp(cut),
            seen,
            new SimpleMeterRegistry())) {
      produce(topic, "new", 0, 20, 2);
      Await.until("the 20 new ones", Duration.ofSeconds(30), () -> seen.size() >= 20);
      Thread.sleep(500); // nothing older arrives late
    }
    assertThat(seen).hasSize(20).allMatch(s -> s.startsWith("new-"));
  }

  /**
   * Message ids may name a topic as {@code PulsarSource.topics} does (a short name is in
   * public/default): such a key used to match nothing, and the partition silently started at its
   * earliest message. A key that is none of the source's partitions fails the start.
   */
  @Test
  void shouldStartAfterTheGivenMessageIdsNamedLikeTheSourceTopics() throws Exception {
    String topic = uniqueTopic("start-ids");
    String shortName = topic.substring("persistent://public/default/".length());
    admin().topics().createNonPartitionedTopic(topic);
    java.util.List<org.apache.pulsar.client.api.MessageId> ids = new java.util.ArrayList<>();
    try (var producer =
        PulsarFixture.client().newProducer().topic(topic).enableBatching(false).create()) {
      for (int i = 0; i < 10; i++) {
        ids.add(producer.send(("m-" + i).getBytes(StandardCharsets.UTF_8)));
      }
    }
    Set<String> seen = ConcurrentHashMap.newKeySet();
    try (Sluice app =
        start(
            "by-ids",
            shortName,
            StartPosition.messageIds(java.util.Map.of(shortName, ids.get(4))),
            seen,
            new SimpleMeterRegistry())) {
      Await.until("the 5 messages after m-4", Duration.ofSeconds(30), () -> seen.size() >= 5);
      Thread.sleep(500); // nothing earlier arrives late
      assertThat(seen).containsExactlyInAnyOrder("m-5", "m-6", "m-7", "m-8", "m-9");
    }
    Sluice wrong =
        Sluice.builder()
            .name("by-wrong-ids")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir.resolve("by-wrong-ids"))
            .build();
    wrong.stream(
            PulsarSource.topics(topic)
                .startAt(
                    StartPosition.messageIds(java.util.Map.of(topic + "-partition-0", ids.get(4)))))
        .forEach(r -> {});
    org.assertj.core.api.Assertions.assertThatThrownBy(wrong::start)
        .isInstanceOf(io.sluice.errors.ConfigException.class)
        .hasMessageContaining(topic + "-partition-0 is not a partition this source reads")
        .hasMessageContaining("[" + topic + "]");
    try {
      wrong.close();
    } catch (io.sluice.errors.ConfigException rethrown) {
      // the start failure again
    }
  }

  /**
   * The start position applies to what is new to the app. Partitions that appear while it is
   * stopped belong to topics it already reads: they start at their earliest message, as discovery
   * would have started them, so nothing published to them during the downtime is skipped. (Pulsar
   * itself subscribes partitions added to a partitioned topic; a new topic matching a pattern has
   * no subscription.)
   */
  @Test
  void shouldReadTopicsCreatedWhileStoppedFromTheirEarliestMessage() throws Exception {
    String prefix = "grown-" + System.nanoTime();
    String pattern = "persistent://public/default/" + prefix + "-.*";
    String existing = "persistent://public/default/" + prefix + "-a";
    admin().topics().createPartitionedTopic(existing, 2);
    Set<String> first = ConcurrentHashMap.newKeySet();
    try (Sluice app = startMatching("grown", pattern, first)) {
      produce(existing, "a", 0, 50, 10);
      Await.until("first run", Duration.ofSeconds(30), () -> first.size() == 50);
    }
    String created = "persistent://public/default/" + prefix + "-b";
    admin().topics().createPartitionedTopic(created, 2);
    produce(created, "b", 0, 100, 10);
    admin().topics().updatePartitionedTopic(existing, 3);
    produce(existing, "c", 0, 100, 30);
    Set<String> second = ConcurrentHashMap.newKeySet();
    try (Sluice app = startMatching("grown", pattern, second)) {
      assertThat(app.partitions()).hasSize(5);
      Await.until("second run", Duration.ofSeconds(30), () -> second.size() == 200);
      assertThat(second).noneMatch(v -> v.startsWith("a-"));
    }
  }

  private Sluice startMatching(String name, String pattern, Set<String> seen) {
    Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir.resolve(name))
            .discoveryInterval(Duration.ZERO)
            .build();
    app.stream(PulsarSource.topicsMatching(pattern).startAt(StartPosition.latest()))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8))
        .forEach(seen::add);
    app.start();
    return app;
  }
}
