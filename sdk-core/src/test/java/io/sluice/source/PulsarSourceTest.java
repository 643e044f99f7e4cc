package io.sluice.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PulsarSourceTest {
  @Test
  void shouldKeepTheDeadLetterTopicWhenWatermarksAreSetAfterIt() {
    PulsarSource source =
        PulsarSource.topics("orders")
            .deadLetterTo("orders-dlq")
            .watermarks(Duration.ofSeconds(1), Duration.ofSeconds(5));
    assertThat(source.badRecordPolicy()).isEqualTo(BadRecordPolicy.DEAD_LETTER);
    assertThat(source.deadLetterTopic()).contains("persistent://public/default/orders-dlq");
    assertThat(source.maxOutOfOrderness()).isEqualTo(Duration.ofSeconds(1));
  }
}
