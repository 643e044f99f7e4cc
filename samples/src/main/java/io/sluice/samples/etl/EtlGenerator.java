package io.sluice.samples.etl;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;

/**
 * Sends the records of an {@link EtlLayout} at a given rate, all topics advancing through event
 * time together. Each topic's producer has a fixed name and sends record {@code i} with sequence id
 * {@code i} into a namespace with deduplication on, so a generator started again after a crash
 * resumes each topic after the last record the broker stored ({@code getLastSequenceId}) and
 * nothing is stored twice.
 */
final class EtlGenerator implements Runnable {
  private static final int STEPS = 2000;

  private final EtlLayout layout;
  private final PulsarClient client;
  private final int rate;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicBoolean stop;
  private volatile long resumedAt;
  private volatile Throwable failure;
  private volatile boolean done;

  EtlGenerator(EtlLayout layout, PulsarClient client, int rate, AtomicBoolean stop) {
    this.layout = layout;
    this.client = client;
    this.rate = rate;
    this.stop = stop;
  }

  /** Records sent by this run (records stored by an earlier run are not counted). */
  long sent() {
    return sent.get();
  }

  /** Records an earlier run had stored when this one started. */
  long resumedAt() {
    return resumedAt;
  }

  boolean done() {
    return done;
  }

  Throwable failure() {
    return failure;
  }

  @Override
  public void run() {
    List<Producer<byte[]>> producers = new ArrayList<>();
    try {
      producers = createProducers();
      long[] next = new long[layout.topics()];
      long before = 0;
      for (int t = 0; t < layout.topics(); t++) {
        next[t] = producers.get(t).getLastSequenceId() + 1;
        before += next[t];
      }
      resumedAt = before;
      if (before > 0) {
        System.out.printf(
            "etl: generator resumes: the broker holds %,d records of an earlier run%n", before);
      }
      long startedNanos = System.nanoTime();
      for (int step = 0; step < STEPS && !stop.get(); step++) {
        for (int t = 0; t < layout.topics(); t++) {
          long until = layout.count(t) * (step + 1) / STEPS;
          for (; next[t] < until; next[t]++) {
            producers
                .get(t)
                .newMessage()
                .sequenceId(next[t])
                .key(EtlLayout.key(t, next[t]))
                .value(layout.payload(t, next[t]).getBytes(StandardCharsets.UTF_8))
                .sendAsync();
            sent.incrementAndGet();
          }
        }
        pace(startedNanos);
      }
      for (Producer<byte[]> p : producers) {
        p.flush();
      }
      done = !stop.get();
    } catch (Throwable e) {
      failure = e;
    } finally {
      producers.forEach(Producer::closeAsync);
    }
  }

  private void pace(long startedNanos) throws InterruptedException {
    long due = startedNanos + (long) (sent.get() * 1e9 / rate);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private List<Producer<byte[]>> createProducers() throws PulsarClientException {
    List<CompletableFuture<Producer<byte[]>>> pending = new ArrayList<>();
    for (int t = 0; t < layout.topics(); t++) {
      pending.add(
          client
              .newProducer(Schema.BYTES)
              .topic(layout.topic(t))
              .producerName("etl-gen-" + layout.run() + "-" + t)
              .blockIfQueueFull(true)
              .maxPendingMessages(2000)
              .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
              .sendTimeout(0, TimeUnit.SECONDS)
              .createAsync());
    }
    List<Producer<byte[]>> producers = new ArrayList<>();
    for (CompletableFuture<Producer<byte[]>> p : pending) {
      try {
        producers.add(p.get(2, TimeUnit.MINUTES));
      } catch (Exception e) {
        throw PulsarClientException.unwrap(e);
      }
    }
    return producers;
  }
}
