package io.sluice.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.junit.jupiter.api.Test;

/** The processing thread's position comparison must order ids exactly as Pulsar does. */
class RecordBatchTest {
  @Test
  void shouldOrderPositionsExactlyAsMessageIdCompareToDoes() {
    Random random = new Random(7);
    for (int n = 0; n < 200_000; n++) {
      MessageIdAdv a = randomId(random);
      MessageIdAdv b = randomId(random);
      int expected = Integer.signum(a.compareTo(b));
      int actual =
          Integer.signum(
              RecordBatch.compare(
                  a.getLedgerId(),
                  a.getEntryId(),
                  a.getPartitionIndex(),
                  a.getBatchIndex(),
                  b.getLedgerId(),
                  b.getEntryId(),
                  b.getPartitionIndex(),
                  b.getBatchIndex()));
      assertThat(actual).as("%s vs %s", a, b).isEqualTo(expected);
    }
  }

  /** Small ranges, so equal ledgers, entries and partitions are common; -1 as Pulsar uses it. */
  private static MessageIdAdv randomId(Random random) {
    long ledger = random.nextInt(3) - 1;
    long entry = random.nextInt(3) - 1;
    int partition = random.nextInt(3) - 1;
    return random.nextBoolean()
        ? new MessageIdImpl(ledger, entry, partition)
        : new BatchMessageIdImpl(ledger, entry, partition, random.nextInt(4) - 1);
  }
}
