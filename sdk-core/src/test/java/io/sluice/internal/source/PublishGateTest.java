package io.sluice.internal.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.internal.graph.JobGraph;
import io.sluice.internal.group.GroupSnapshot;
import io.sluice.internal.group.InputPartition;
import io.sluice.internal.group.ProcessingGroup;
import io.sluice.internal.group.RecordBatch;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateStore;
import io.sluice.stream.DataStream;
import io.sluice.stream.internal.Streams;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.pulsar.client.internal.DefaultImplementation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A regroup while one processing thread is stuck with its ring full: the fetcher waiting for room
 * must not keep the regroup (and behind it every other group) waiting for the gate, and the
 * regroup's barrier into the stuck group must fail (a counted, failed checkpoint) instead of
 * hanging.
 */
@Timeout(60)
class PublishGateTest {
  private static final String TOPIC = "persistent://public/default/in";

  @TempDir Path dir;

  @Test
  void shouldPauseTheFetchersWhileOneWaitsForRoomInTheRingOfAStuckGroup() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    JobGraph graph = new JobGraph();
    Streams.<DataStream<SourceRecord>>dataStream(graph.addSource(PulsarSource.topics(TOPIC)))
        .forEach(
            r -> {
              try {
                stuck.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    try (StateStore store = StateStore.open(dir.resolve("rocksdb"))) {
      ProcessingGroup group =
          new ProcessingGroup(
              0,
              "gate",
              64, // 16 slots of 4 records
              64L << 20,
              "blocking",
              Duration.ofMillis(500),
              "default",
              false,
              Thread::new,
              new KeyedStateBackend(store),
              (sink, i) -> null,
              new SimpleMeterRegistry(),
              t -> {});
      InputPartition partition =
          new InputPartition(0, TOPIC, BadRecordPolicy.FAIL, 0, TimeUnit.MINUTES.toNanos(1));
      group.compile(graph);
      group.addPartition(partition);
      group.start();

      PublishGate gate = new PublishGate();
      AtomicInteger published = new AtomicInteger();
      AtomicBoolean giveUp = new AtomicBoolean();
      Thread fetcher =
          new Thread(
              () -> {
                // as a fetcher does: one attempt at a time, the gate released in between
                for (int i = 0; i < 100 && !giveUp.get(); ) {
                  ProcessingGroup.Publish result =
                      gate.tryPublish(() -> group, batch(partition, i));
                  if (result == ProcessingGroup.Publish.STOPPED) {
                    return;
                  }
                  if (result == ProcessingGroup.Publish.PUBLISHED) {
                    published.incrementAndGet();
                    i++;
                  } else {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                  }
                }
              });
      fetcher.start();
      // 16 slots, the one the stuck processing thread is on included: then the ring is full
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (published.get() < 16 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      Thread.sleep(100); // the fetcher is now waiting for room
      assertThat(published.get()).isEqualTo(16);
      assertThat(fetcher.isAlive()).isTrue();

      // the regroup gets the gate although the fetcher still waits for room...
      AtomicBoolean ran = new AtomicBoolean();
      GroupSnapshot[] snapshot = new GroupSnapshot[1];
      boolean paused =
          gate.paused(
              () -> {
                ran.set(true);
                // ...and its checkpoint's barrier into the full ring fails instead of hanging
                snapshot[0] = group.barrier(1).join();
                return true;
              },
              Duration.ofSeconds(10));
      assertThat(paused).isTrue();
      assertThat(ran).isTrue();
      assertThat(snapshot[0].failure()).hasMessageContaining("the ring stayed full");

      giveUp.set(true);
      stuck.countDown();
      fetcher.join(10_000);
      assertThat(fetcher.isAlive()).isFalse();
      group.stop(Duration.ofSeconds(10));
    }
  }

  private static RecordBatch batch(InputPartition partition, int i) {
    RecordBatch batch = new RecordBatch(partition, 1);
    batch.read(
        0,
        new SourceRecord(
            TOPIC,
            DefaultImplementation.getDefaultImplementation().newMessageId(1, i, -1),
            "k",
            ("m" + i).getBytes(StandardCharsets.UTF_8),
            1,
            1,
            Map.of()));
    return batch;
  }
}
