package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.produce;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.state.RecoveryLayer;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceIT {
  @TempDir Path stateDir;

  private Sluice.Builder app(String name) {
    return Sluice.builder()
        .name(name)
        .pulsar(broker().serviceUrl(), broker().adminUrl())
        .stateDir(stateDir)
        .checkpointInterval(Duration.ofMillis(500));
  }

  @Test
  void shouldReadEveryPartitionOfPartitionedAndNonPartitionedTopics() throws Exception {
    String partitioned = uniqueTopic("src-part");
    String plain = uniqueTopic("src-plain");
    admin().topics().createPartitionedTopic(partitioned, 4);
    admin().topics().createNonPartitionedTopic(plain);
    produce(partitioned, "p", 0, 2000, 50);
    produce(plain, "n", 0, 500, 50);

    Set<String> seen = ConcurrentHashMap.newKeySet();
    try (Sluice app = app("src-explicit").build()) {
      app.stream(PulsarSource.topics(partitioned, plain))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .forEach(seen::add);
      app.start();
      assertThat(app.recoveryLayer()).isEqualTo(RecoveryLayer.START_POSITION);
      assertThat(app.partitions()).hasSize(5);
      Await.until("2500 records", Duration.ofSeconds(60), () -> seen.size() == 2500);
    }
    assertThat(seen).contains("p-0", "p-1999", "n-0", "n-499");
  }

  @Test
  void shouldPickUpNewPartitionsAndNewMatchingTopicsWhileRunning() throws Exception {
    String prefix = "disc" + System.nanoTime();
    String first = "persistent://public/default/" + prefix + "-a";
    admin().topics().createPartitionedTopic(first, 2);
    produce(first, "a", 0, 300, 10);

    Set<String> seen = ConcurrentHashMap.newKeySet();
    try (Sluice app =
        Sluice.builder()
            .name("src-discovery")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(500))
            .discoveryInterval(Duration.ofMillis(500))
            .build()) {
      app.stream(PulsarSource.topicsMatching("persistent://public/default/" + prefix + "-.*"))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .forEach(seen::add);
      app.start();
      Await.until("first 300", Duration.ofSeconds(60), () -> seen.size() == 300);

      // a partition added to a known topic, and a brand-new topic matching the pattern
      admin().topics().updatePartitionedTopic(first, 3);
      try (var p =
          PulsarFixture.client()
              .newProducer(org.apache.pulsar.client.api.Schema.STRING)
              .topic(first + "-partition-2")
              .create()) {
        for (int i = 0; i < 100; i++) {
          p.send("new-partition-" + i);
        }
      }
      String second = "persistent://public/default/" + prefix + "-b";
      admin().topics().createPartitionedTopic(second, 2);
      produce(second, "b", 0, 200, 10);

      Await.until("all 600", Duration.ofSeconds(60), () -> seen.size() == 600);
      assertThat(app.partitions()).hasSize(5);
    }
    assertThat(seen).contains("new-partition-0", "new-partition-99", "b-0", "b-199");
  }

  /**
   * Starting a discovered topic can fail (here its subscription is held by another consumer for a
   * while); the topic must be tried again at the next discovery, not stay known and unread.
   */
  @Test
  void shouldRetryADiscoveredTopicWhoseStartFailed() throws Exception {
    String prefix = "disc-retry" + System.nanoTime();
    String first = "persistent://public/default/" + prefix + "-a";
    admin().topics().createNonPartitionedTopic(first);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    try (Sluice app =
        Sluice.builder()
            .name("src-discovery-retry")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(500))
            .discoveryInterval(Duration.ofMillis(300))
            .build()) {
      app.stream(
              PulsarSource.topicsMatching("persistent://public/default/" + prefix + "-.*")
                  .subscription("retry-sub"))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .forEach(seen::add);
      app.start();
      String second = "persistent://public/default/" + prefix + "-b";
      // creates the topic with the app's subscription held exclusively by someone else
      try (var blocker =
          PulsarFixture.client()
              .newConsumer()
              .topic(second)
              .subscriptionName("retry-sub")
              .subscriptionType(org.apache.pulsar.client.api.SubscriptionType.Exclusive)
              .subscribe()) {
        produce(second, "b", 0, 100, 10);
        Thread.sleep(2000); // several discoveries fail meanwhile
        assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
      }
      Await.until("the topic read once free", Duration.ofSeconds(30), () -> seen.size() == 100);
      assertThat(app.partitions()).contains(second);
      // and its durable cursor follows the checkpoints (the broker may let go of what was read):
      // a start whose reader came up but whose cursor did not must not leave it unsubscribed
      Await.until(
          "the durable cursor advanced",
          Duration.ofSeconds(30),
          () -> backlog(second, "retry-sub") == 0);
    }
  }

  private static long backlog(String topic, String subscription) {
    try {
      return admin().topics().getStats(topic).getSubscriptions().get(subscription).getMsgBacklog();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void shouldNameAMissingTopicBeforeStarting() throws Exception {
    String missing = uniqueTopic("does-not-exist");
    try (Sluice app = app("src-missing").build()) {
      app.stream(PulsarSource.topics(missing)).forEach(r -> {});
      org.assertj.core.api.Assertions.assertThatThrownBy(app::start)
          .isInstanceOf(io.sluice.errors.ConfigException.class)
          .hasMessageStartingWith("Topic " + missing + " does not exist");
    }
    assertThat(admin().topics().getList("public/default")).doesNotContain(missing);
  }
}
