package io.sluice.sink.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.sink.Committable;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BatchIdTest {
  @Test
  void shouldRoundTripThroughACommittable() {
    BatchId id = new BatchId(3, BatchId.newToken(), 41).next();
    BatchId back = BatchId.of(id.toCommittable(), "s");
    assertThat(back).isEqualTo(id);
    assertThat(back.seq()).isEqualTo(42);
  }

  @Test
  void shouldGiveEveryWriterInstanceItsOwnToken() {
    assertThat(BatchId.newToken()).hasSize(16).isNotEqualTo(BatchId.newToken());
  }

  @Test
  void shouldRefuseForeignBytesNamingTheSink() {
    Committable foreign = Committable.of("x'; DROP".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> BatchId.of(foreign, "redis"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Sink redis");
  }
}
