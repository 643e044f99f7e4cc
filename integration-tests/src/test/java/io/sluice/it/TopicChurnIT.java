package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A topic matched by a pattern that is deleted and created again, while running and stopped. */
@Timeout(300)
class TopicChurnIT {
  @TempDir Path stateDir;

  private Sluice app(String prefix, List<String> seen) {
    Sluice app =
        Sluice.builder()
            .name("churn-app")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .checkpointInterval(Duration.ofMillis(300))
            .discoveryInterval(Duration.ofMillis(500))
            .build();
    app.stream(PulsarSource.topicsMatching(prefix + "-.*").subscription("churn-sub"))
        .forEach(r -> seen.add(new String(r.value(), StandardCharsets.UTF_8)));
    return app;
  }

  @Test
  void shouldReadATopicDeletedAndCreatedAgain() throws Exception {
    String prefix = "persistent://public/default/churn-" + System.nanoTime();
    String topic = prefix + "-a";
    admin().topics().createNonPartitionedTopic(topic);
    List<String> seen = new CopyOnWriteArrayList<>();
    try (Sluice app = app(prefix, seen)) {
      app.start();
      PulsarFixture.produce(topic, "first", 0, 10, 1);
      Await.until("the first 10", Duration.ofSeconds(60), () -> seen.size() == 10);
      long seenAt = app.lastCompletedCheckpoint();
      Await.until(
          "a checkpoint after the first 10",
          Duration.ofSeconds(30),
          () -> app.lastCompletedCheckpoint() > seenAt + 1);

      admin().topics().delete(topic, true);
      admin().topics().createNonPartitionedTopic(topic);
      PulsarFixture.produce(topic, "second", 0, 10, 1);
      Await.until(
          "the 10 written after it was created again",
          Duration.ofSeconds(60),
          () -> seen.size() == 20);
    }
    // deleted and created again while the app is stopped
    admin().topics().delete(topic, true);
    admin().topics().createNonPartitionedTopic(topic);
    PulsarFixture.produce(topic, "third", 0, 5, 1);
    try (Sluice app = app(prefix, seen)) {
      app.start();
      Await.until("the 5 written while stopped", Duration.ofSeconds(60), () -> seen.size() == 25);
      PulsarFixture.produce(topic, "end", 0, 1, 1);
      Await.until("the end marker", Duration.ofSeconds(60), () -> seen.size() >= 26);
    }
    assertThat(seen).hasSize(26).doesNotHaveDuplicates();
  }
}
