package io.sluice.bench;

import com.fasterxml.jackson.databind.ObjectReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessagePayload;
import org.apache.pulsar.client.api.MessagePayloadContext;
import org.apache.pulsar.client.api.MessagePayloadProcessor;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionMode;

/**
 * A probe, not a Sluice feature: how fast could a reader go that takes whole entries from the
 * client (a consumer {@link MessagePayloadProcessor} that hands each batch over as one message) and
 * splits the batches itself, instead of letting the client split each batch into messages and hand
 * them over one by one? Drains the same backlog, alternating, with (a) plain Readers as in {@code
 * ThroughputBench}, (b) plain Readers that also bind the JSON, and (c) entry reads that split the
 * batch and bind the JSON of every message, one consumer and thread per partition.
 *
 * <p>It measures the ceiling of the entry-level read route described in benchmarks/README.md; what
 * (c) leaves out is what a real read path would need on top: flow control by entries (here the
 * consumer returns a batch's permits as soon as it is handed over, so the client's queue is bounded
 * by the backlog, not by a setting), start positions inside an entry, chunked and encrypted
 * messages. Sluice's own read path ({@code entryReads}, the default: EntryReader and EntrySplitter
 * in sdk-core) was built on what this probe measured.
 *
 * <p>Prints {@code RESULT entry-read raw_msgs_per_s=… entry_decode_msgs_per_s=… ratio=…
 * raw_decode_msgs_per_s=… ratio_vs_raw_decode=…} (medians of the per-round figures).
 */
public final class EntryReadBench {
  private static final int WARM_UP_ROUNDS = 3;

  private EntryReadBench() {}

  public static void main(String[] args) throws Exception {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int partitions = 8;
    try (BenchEnv env = new BenchEnv("entry-read")) {
      String topic = ThroughputBench.produceBacklog(env, "bench-entry-", partitions, messages);
      for (int w = 0; w < WARM_UP_ROUNDS; w++) {
        ThroughputBench.rawDrain(env, topic, partitions, messages, false);
        ThroughputBench.rawDrain(env, topic, partitions, messages, true);
        entryDrain(env, topic, partitions, messages);
      }
      double[] raw = new double[rounds];
      double[] rawDecode = new double[rounds];
      double[] entry = new double[rounds];
      double[] ratios = new double[rounds];
      double[] decodeRatios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        raw[r] = ThroughputBench.rawDrain(env, topic, partitions, messages, false);
        rawDecode[r] = ThroughputBench.rawDrain(env, topic, partitions, messages, true);
        entry[r] = entryDrain(env, topic, partitions, messages);
        ratios[r] = entry[r] / raw[r];
        decodeRatios[r] = entry[r] / rawDecode[r];
        System.out.printf(
            "round %d: raw %,.0f msg/s  raw+decode %,.0f msg/s  entry reads+decode %,.0f msg/s"
                + "  ratio %.3f  ratio_vs_raw_decode %.3f%n",
            r + 1, raw[r], rawDecode[r], entry[r], ratios[r], decodeRatios[r]);
      }
      System.out.printf(
          "RESULT entry-read raw_msgs_per_s=%.0f entry_decode_msgs_per_s=%.0f ratio=%.3f"
              + " raw_decode_msgs_per_s=%.0f ratio_vs_raw_decode=%.3f%n",
          BenchEnv.median(raw),
          BenchEnv.median(entry),
          BenchEnv.median(ratios),
          BenchEnv.median(rawDecode),
          BenchEnv.median(decodeRatios));
    }
  }

  /** Hands each entry to the consumer as one message; the permits of the rest come back at once. */
  private static final class WholeEntries implements MessagePayloadProcessor {
    @Override
    public <T> void process(
        MessagePayload payload,
        MessagePayloadContext context,
        Schema<T> schema,
        java.util.function.Consumer<Message<T>> messageConsumer) {
      messageConsumer.accept(context.asSingleMessage(payload, schema));
      for (int i = 1; i < context.getNumMessages(); i++) {
        messageConsumer.accept(null);
      }
    }
  }

  static double entryDrain(BenchEnv env, String topic, int partitions, int expected)
      throws Exception {
    ObjectReader json =
        new com.fasterxml.jackson.databind.ObjectMapper().readerFor(ThroughputBench.Event.class);
    LongAdder count = new LongAdder();
    AtomicBoolean done = new AtomicBoolean();
    List<Consumer<byte[]>> consumers = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      consumers.add(
          env.client
              .newConsumer(Schema.BYTES)
              .topic(topic + "-partition-" + p)
              .subscriptionName("entry-probe-" + System.nanoTime())
              .subscriptionMode(SubscriptionMode.NonDurable)
              .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
              .receiverQueueSize(1000)
              .messagePayloadProcessor(new WholeEntries())
              .subscribe());
    }
    long[] cpu = env.cpuNanos();
    var threadCpu = env.threadCpuNanos();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      Consumer<byte[]> consumer = consumers.get(p);
      Thread t =
          new Thread(
              () -> {
                try (consumer) {
                  while (!done.get()) {
                    Message<byte[]> m = consumer.receive(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                      boolean batch =
                          ((org.apache.pulsar.client.impl.MessageImpl<?>) m)
                              .getMessageBuilder()
                              .hasNumMessagesInBatch();
                      count.add(
                          batch ? splitAndBind(m.getValue(), json) : bind(m.getValue(), json));
                    }
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              "entry-reader-" + p);
      t.start();
      threads.add(t);
    }
    while (count.sum() < expected) {
      Thread.sleep(1);
    }
    double rate = expected / ((System.nanoTime() - start) / 1e9);
    long[] cpuAfter = env.cpuNanos();
    var threadCpuAfter = env.threadCpuNanos();
    done.set(true);
    for (Thread t : threads) {
      t.join();
    }
    System.out.printf("  entry reads CPU: %s%n", BenchEnv.cpuPerMessage(cpu, cpuAfter, expected));
    System.out.println(BenchEnv.topThreads(threadCpu, threadCpuAfter, expected));
    return rate;
  }

  private static int bind(byte[] value, ObjectReader json) throws java.io.IOException {
    if (((ThroughputBench.Event) json.readValue(value)).user == null) {
      throw new IllegalStateException("bad event");
    }
    return 1;
  }

  /**
   * Splits a batch payload (per message: a 4-byte big-endian size, a SingleMessageMetadata
   * protobuf, the payload of its {@code payload_size} field 3) and binds each message's JSON;
   * returns the number of messages.
   */
  static int splitAndBind(byte[] batch, ObjectReader json) throws java.io.IOException {
    ByteBuffer buf = ByteBuffer.wrap(batch);
    int n = 0;
    while (buf.remaining() > 4) {
      int metaSize = buf.getInt();
      int metaEnd = buf.position() + metaSize;
      int payloadSize = -1;
      while (buf.position() < metaEnd) {
        long key = varint(buf);
        int field = (int) (key >>> 3);
        int wire = (int) (key & 7);
        if (field == 3 && wire == 0) {
          payloadSize = (int) varint(buf);
        } else {
          skip(buf, wire);
        }
      }
      if (payloadSize < 0) {
        throw new IllegalStateException("batch message without payload_size");
      }
      ThroughputBench.Event e = json.readValue(batch, buf.position(), payloadSize);
      if (e.user == null) {
        throw new IllegalStateException("bad event");
      }
      buf.position(buf.position() + payloadSize);
      n++;
    }
    return n;
  }

  private static long varint(ByteBuffer buf) {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = buf.get();
      value |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return value;
      }
    }
  }

  private static void skip(ByteBuffer buf, int wire) {
    switch (wire) {
      case 0 -> varint(buf);
      case 1 -> buf.position(buf.position() + 8);
      case 2 -> {
        int len = (int) varint(buf);
        buf.position(buf.position() + len);
      }
      case 5 -> buf.position(buf.position() + 4);
      default -> throw new IllegalStateException("unknown protobuf wire type " + wire);
    }
  }
}
