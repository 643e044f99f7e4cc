package io.sluice.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;

/**
 * The many-topics benchmark's baseline, in its own JVM: plain pulsar-client Readers on the same
 * partitions, created all at once, each handing its messages to a {@code ReaderListener} (the
 * client's listener thread: no thread per partition), which binds the JSON and counts. Prints the
 * same lines as {@link ManyTopicsApp}.
 *
 * <p>Args: serviceUrl partitionsFile expected
 */
public final class ManyTopicsRaw {
  private ManyTopicsRaw() {}

  @SuppressWarnings("deprecation") // statsInterval: as Sluice's own client runs
  public static void main(String[] args) throws Exception {
    long t0 = System.nanoTime();
    List<String> partitions = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[1]));
    long expected = Long.parseLong(args[2]);
    var json =
        new com.fasterxml.jackson.databind.ObjectMapper().readerFor(ThroughputBench.Event.class);
    LongAdder count = new LongAdder();
    AtomicLong first = new AtomicLong();
    PulsarClient client =
        PulsarClient.builder().serviceUrl(args[0]).statsInterval(0, TimeUnit.SECONDS).build();
    List<CompletableFuture<Reader<byte[]>>> creating = new ArrayList<>();
    for (String partition : partitions) {
      creating.add(
          client
              .newReader()
              .topic(partition)
              .startMessageId(MessageId.earliest)
              .readerListener(
                  (reader, m) -> {
                    try {
                      if (((ThroughputBench.Event) json.readValue(m.getValue())).user == null) {
                        throw new IllegalStateException("bad event");
                      }
                    } catch (java.io.IOException e) {
                      throw new IllegalStateException(e);
                    }
                    if (first.get() == 0) {
                      first.compareAndSet(0, System.nanoTime());
                    }
                    count.increment();
                  })
              .createAsync());
    }
    List<Reader<byte[]>> readers = new ArrayList<>();
    for (var f : creating) {
      readers.add(f.get());
    }
    long running = System.nanoTime();
    while (count.sum() < expected) {
      Thread.sleep(1);
    }
    long done = System.nanoTime();
    System.out.println("FIRST " + ManyTopicsApp.ms(first.get() - t0));
    System.out.println("RUNNING " + ManyTopicsApp.ms(running - t0));
    System.out.println("DONE " + ManyTopicsApp.ms(done - t0));
    ManyTopicsStats.print();
    long closing = System.nanoTime();
    for (Reader<byte[]> r : readers) {
      r.closeAsync();
    }
    client.close();
    System.out.println("CLOSED " + ManyTopicsApp.ms(System.nanoTime() - closing));
  }
}
