package io.sluice.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.internal.MessageIds;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.state.RecoveryLayer;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.impl.BatchMessageIdImpl;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.junit.jupiter.api.Test;

class ReadFloorTest {
  private static ReadFloor at(MessageId id, boolean inclusive) {
    return ReadFloor.at(new PartitionStart(id, inclusive, RecoveryLayer.CHECKPOINT));
  }

  @Test
  void shouldSkipUpToAnExclusiveStartInsideABatch() {
    ReadFloor floor = at(new BatchMessageIdImpl(7, 20, -1, 41), false);
    assertThat(floor.skips(7, 19, 99)).isTrue();
    assertThat(floor.skips(7, 20, 41)).isTrue();
    assertThat(floor.skips(7, 20, 42)).isFalse();
    assertThat(floor.skipsEntry(7, 20, true)).isFalse();
    assertThat(floor.skips(8, 0, -1)).isFalse();
  }

  @Test
  void shouldKeepAnInclusiveStart() {
    ReadFloor floor = at(new BatchMessageIdImpl(7, 20, -1, 41), true);
    assertThat(floor.skips(7, 20, 40)).isTrue();
    assertThat(floor.skips(7, 20, 41)).isFalse();
    ReadFloor plain = at(new MessageIdImpl(7, 20, -1), true);
    assertThat(plain.skips(7, 20, -1)).isFalse();
    assertThat(plain.skips(7, 20, 0)).isFalse();
    assertThat(plain.skipsEntry(7, 19, false)).isTrue();
  }

  @Test
  void shouldSkipAWholeEntryAfterAPlainIdOrTheLastBatchIndex() {
    ReadFloor plain = at(new MessageIdImpl(7, 20, -1), false);
    assertThat(plain.skipsEntry(7, 20, true)).isTrue();
    assertThat(plain.skipsEntry(7, 20, false)).isTrue();
    assertThat(plain.skipsEntry(7, 21, false)).isFalse();
    ReadFloor afterEntry = at(MessageIds.afterEntry(7, 20, 3), false);
    assertThat(afterEntry.skipsEntry(7, 20, true)).isTrue();
    assertThat(afterEntry.skips(7, 21, 0)).isFalse();
  }

  @Test
  void shouldSkipNothingFromTheEarliestOrLatestMessage() {
    assertThat(at(MessageId.earliest, true).skips(0, 0, -1)).isFalse();
    assertThat(at(MessageId.latest, false).skips(0, 0, -1)).isFalse();
    // an id that went through bytes is equal, not the same object
    MessageId latestCopy = MessageIds.detached(MessageId.latest);
    assertThat(at(latestCopy, false).skips(9, 9, 0)).isFalse();
  }

  @Test
  void shouldResumeAReaderAfterTheLastEntrySplitOrAtTheStart() {
    PartitionStart start =
        new PartitionStart(new BatchMessageIdImpl(7, 20, 3, 41), false, RecoveryLayer.CHECKPOINT);
    ReadFloor floor = ReadFloor.at(start);
    assertThat(floor.resume(start, 3)).isSameAs(start);
    floor.passEntry(7, 19); // an older entry again: still nothing split past the start
    assertThat(floor.resume(start, 3)).isSameAs(start);
    floor.passEntry(7, 22);
    PartitionStart resume = floor.resume(start, 3);
    assertThat(resume.id()).isEqualTo(MessageIds.afterEntry(7, 22, 3));
    assertThat(resume.inclusive()).isFalse();
    assertThat(resume.layer()).isEqualTo(RecoveryLayer.CHECKPOINT);
  }

  /**
   * After a reconnection the broker may send the entry before the start first (the client asks to
   * start after the entry before its queue's head): passing it must not pull the floor back, or the
   * start entry would be split again from its first record.
   */
  @Test
  void shouldNotMoveBackwardsWhenAnOlderEntryIsDeliveredAgain() {
    ReadFloor floor = at(new BatchMessageIdImpl(7, 20, -1, 41), false);
    assertThat(floor.skipsEntry(7, 19, false)).isTrue();
    floor.passEntry(7, 19);
    assertThat(floor.skips(7, 20, 41)).isTrue();
    assertThat(floor.skips(7, 20, 42)).isFalse();
    floor.passEntry(7, 20);
    assertThat(floor.skipsEntry(7, 20, true)).isTrue();
    floor.passEntry(7, 18);
    assertThat(floor.skipsEntry(7, 20, true)).isTrue();
    assertThat(floor.skips(7, 21, 0)).isFalse();
  }
}
