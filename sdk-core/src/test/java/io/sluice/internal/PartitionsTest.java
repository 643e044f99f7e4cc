package io.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PartitionsTest {

  @Test
  void shouldPutPartitionIOfEveryTopicInTheSameShard() {
    String a = "persistent://public/default/orders-partition-";
    String b = "persistent://public/default/payments-partition-";
    for (int i = 0; i < 16; i++) {
      assertThat(Partitions.shardOf(a + i, 4)).isEqualTo(i % 4);
      assertThat(Partitions.shardOf(b + i, 4)).isEqualTo(Partitions.shardOf(a + i, 4));
    }
  }

  @Test
  void shouldSpreadNonPartitionedTopicsOverEveryShard() {
    Set<Integer> seen = new HashSet<>();
    for (int t = 0; t < 200; t++) {
      int shard = Partitions.shardOf("persistent://public/default/topic-" + t, 3);
      assertThat(shard).isBetween(0, 2);
      seen.add(shard);
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2);
    assertThat(Partitions.shardOf("persistent://public/default/anything", 1)).isZero();
  }
}
