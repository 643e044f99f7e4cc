package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.testkit.Await;
import io.sluice.testkit.PulsarFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A slot group's ring is bounded by payload bytes as well as by records. */
class RingBytesIT {
  private static final int RECORD = 256 * 1024;
  private static final int RECORDS = 40;
  private static final long BOUND = 1 << 20;

  @TempDir Path stateDir;

  /**
   * Large records behind a stuck operator: by records alone the ring would take all 39 waiting
   * records (9.75 MiB) while the operator is stuck. With a 1 MiB byte bound it holds at most 1 MiB
   * (one fetcher, batches of one record each), watched for 3 s, and every record is processed once
   * the operator goes on.
   */
  @Test
  void shouldHoldNoMorePayloadThanItsBoundWhileTheOperatorIsStuck() throws Exception {
    String topic = uniqueTopic("ring-bytes");
    admin().topics().createNonPartitionedTopic(topic);
    try (Producer<byte[]> p =
        PulsarFixture.client()
            .newProducer(Schema.BYTES)
            .topic(topic)
            .enableBatching(false)
            .create()) {
      for (int i = 0; i < RECORDS; i++) {
        byte[] value = new byte[RECORD];
        value[0] = (byte) i;
        p.send(value);
      }
    }
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger seen = new AtomicInteger();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
        Sluice.builder()
            .name("ring-bytes")
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .meterRegistry(meters)
            .ringBytes(BOUND)
            .build()) {
      app.stream(PulsarSource.topics(topic))
          .forEach(
              r -> {
                if (seen.getAndIncrement() == 0) {
                  try {
                    release.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              });
      app.start();
      Await.until("the first record", Duration.ofSeconds(30), () -> seen.get() >= 1);
      double most = 0;
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < end) {
        most = Math.max(most, meters.get("sluice.pipeline.ring.bytes").gauge().value());
        Thread.sleep(5);
      }
      release.countDown();
      Await.until("every record", Duration.ofSeconds(60), () -> seen.get() == RECORDS);
      assertThat(most).as("payload bytes in the ring").isPositive().isLessThanOrEqualTo(BOUND);
    }
  }
}
