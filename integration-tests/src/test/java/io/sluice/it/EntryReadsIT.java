package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.client;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.PulsarSource;
import io.sluice.source.SourceRecord;
import io.sluice.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pulsar.client.api.CompressionType;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.TypedMessageBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading whole entries ({@code entryReads}, the default) against Pulsar Readers: the same records
 * with the same ids and metadata, nothing again after a reconnection, and a clear failure where
 * only Readers can go (chunked messages).
 */
class EntryReadsIT {
  /** The last message of a test's topic ({@link #sendEnd}). */
  private static final String END_TEXT = "end-of-input";

  private static final byte[] END = END_TEXT.getBytes(StandardCharsets.UTF_8);

  @TempDir Path stateDir;

  private Sluice.Builder app(String name, boolean entryReads, Path dir) {
    return Sluice.builder()
        .name(name)
        .pulsar(broker().serviceUrl(), broker().adminUrl())
        .stateDir(dir)
        .checkpointInterval(Duration.ofMillis(300))
        .discoveryInterval(Duration.ZERO)
        .entryReads(entryReads);
  }

  /**
   * Batched (LZ4-compressed, with keys, properties, event times and a null value) and unbatched
   * messages: both ways give every record with the same id, key, value, properties and times.
   */
  @Test
  void shouldGiveTheSameRecordsAsReaders() throws Exception {
    String topic = uniqueTopic("entry-same");
    admin().topics().createNonPartitionedTopic(topic);
    try (Producer<byte[]> batched =
            client()
                .newProducer(Schema.BYTES)
                .topic(topic)
                .compressionType(CompressionType.LZ4)
                .batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS)
                .batchingMaxMessages(300)
                .create();
        Producer<byte[]> single =
            client().newProducer(Schema.BYTES).topic(topic).enableBatching(false).create()) {
      for (int i = 0; i < 1000; i++) {
        TypedMessageBuilder<byte[]> m = batched.newMessage();
        if (i % 3 == 0) {
          m.key("k" + (i % 7));
        }
        if (i % 4 == 0) {
          m.property("n", Integer.toString(i)).property("π", "ü" + i);
        }
        if (i % 5 == 0) {
          m.eventTime(1_700_000_000_000L + i);
        }
        if (i == 500) {
          m.value(null);
        } else {
          m.value(("b-" + i).getBytes(StandardCharsets.UTF_8));
        }
        m.sendAsync();
        if (i % 250 == 0) {
          batched.flush();
          single
              .newMessage()
              .key("single")
              .property("p", "q")
              .value(("s-" + i).getBytes(StandardCharsets.UTF_8))
              .send();
        }
      }
      batched.flush();
    }
    sendEnd(topic);
    List<String> entries = read(topic, true);
    List<String> readers = read(topic, false);
    assertThat(entries).hasSize(1004).isEqualTo(readers);
    // the batches were batches: ids with a batch index, shared entries
    assertThat(entries.stream().filter(s -> s.contains("batchIndex=5 ")).count()).isPositive();
    assertThat(entries).anyMatch(s -> s.contains("value=null-or-empty"));
  }

  /** Every record before the topic's end marker ({@link #sendEnd}), described. */
  private List<String> read(String topic, boolean entryReads) throws Exception {
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean ended = new AtomicBoolean();
    try (Sluice app =
        app("entry-same-" + entryReads, entryReads, stateDir.resolve("s" + entryReads)).build()) {
      app.stream(PulsarSource.topics(topic))
          .forEach(
              r -> {
                if (isEnd(r.value())) {
                  ended.set(true);
                } else {
                  out.add(describe(r));
                }
              });
      app.start();
      Await.until("the end marker", Duration.ofSeconds(60), ended::get);
    }
    return new ArrayList<>(out);
  }

  /**
   * Sends the end marker, unbatched, after everything sent so far: once a reader of the topic has
   * it, it has had every message before it, so a check that nothing more arrived needs no sleep.
   */
  private static void sendEnd(String topic) throws Exception {
    try (Producer<byte[]> end =
        client().newProducer(Schema.BYTES).topic(topic).enableBatching(false).create()) {
      end.send(END);
    }
  }

  private static boolean isEnd(byte[] value) {
    return Arrays.equals(value, END);
  }

  private static String describe(SourceRecord r) {
    MessageIdAdv id = (MessageIdAdv) r.messageId();
    return "id="
        + id.getLedgerId()
        + ":"
        + id.getEntryId()
        + ":"
        + id.getPartitionIndex()
        + " batchIndex="
        + id.getBatchIndex()
        + " batchSize="
        + id.getBatchSize()
        + " key="
        + r.key()
        + " value="
        + (r.value().length == 0 ? "null-or-empty" : new String(r.value(), StandardCharsets.UTF_8))
        + " properties="
        + new TreeMap<>(r.properties())
        + " publishTime="
        + r.publishTime()
        + " eventTime="
        + r.eventTime();
  }

  /**
   * A start after a message inside a batch: the broker delivers the whole entry, and the splitter
   * alone drops the messages up to the start (a start position, unlike a restored checkpoint, has
   * no second check on the processing thread). Readers and entry reads read the same.
   */
  @Test
  void shouldStartAfterAMessageInsideABatch() throws Exception {
    String topic = uniqueTopic("entry-midbatch");
    admin().topics().createNonPartitionedTopic(topic);
    List<java.util.concurrent.CompletableFuture<org.apache.pulsar.client.api.MessageId>> sent =
        new ArrayList<>();
    try (Producer<byte[]> producer =
        client()
            .newProducer(Schema.BYTES)
            .topic(topic)
            .batchingMaxPublishDelay(10, TimeUnit.SECONDS)
            .batchingMaxMessages(100)
            .create()) {
      for (int i = 0; i < 100; i++) {
        sent.add(producer.sendAsync(("m-" + i).getBytes(StandardCharsets.UTF_8)));
      }
      producer.flush();
    }
    sendEnd(topic);
    MessageIdAdv start = (MessageIdAdv) sent.get(41).get();
    assertThat(start.getBatchIndex()).as("message 41 is inside a batch").isEqualTo(41);
    for (boolean entryReads : new boolean[] {true, false}) {
      List<String> seen = Collections.synchronizedList(new ArrayList<>());
      SimpleMeterRegistry meters = new SimpleMeterRegistry();
      try (Sluice app =
          app("entry-midbatch-" + entryReads, entryReads, stateDir.resolve("m" + entryReads))
              .meterRegistry(meters)
              .build()) {
        app.stream(
                PulsarSource.topics(topic)
                    .startAt(io.sluice.source.StartPosition.messageIds(Map.of(topic, start))))
            .map(r -> new String(r.value(), StandardCharsets.UTF_8))
            .forEach(seen::add);
        app.start();
        Await.until("the end marker", Duration.ofSeconds(30), () -> seen.contains(END_TEXT));
      }
      seen.remove(END_TEXT);
      List<String> expected = new ArrayList<>();
      for (int i = 42; i < 100; i++) {
        expected.add("m-" + i);
      }
      assertThat(seen).as("entryReads=%s", entryReads).isEqualTo(expected);
      assertThat(meters.find("sluice.source.redelivered.skipped").counter().count()).isZero();
    }
  }

  /**
   * The topic is unloaded twice while the job reads it, so the reader reconnects and the broker
   * sends again from the last entry taken (and from what was still queued): every message is
   * processed once, and none had to be dropped as seen before by the processing thread either.
   */
  @Test
  void shouldReadEachMessageOnceAcrossReconnections() throws Exception {
    String topic = uniqueTopic("entry-reconnect");
    admin().topics().createNonPartitionedTopic(topic);
    int total = 30_000;
    Map<String, Integer> seen = new java.util.concurrent.ConcurrentHashMap<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
            app("entry-reconnect", true, stateDir)
                .receiverQueueSize(200)
                .meterRegistry(meters)
                .build();
        Producer<byte[]> producer =
            client()
                .newProducer(Schema.BYTES)
                .topic(topic)
                .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
                .batchingMaxMessages(100)
                .create()) {
      app.stream(PulsarSource.topics(topic))
          .map(r -> new String(r.value(), StandardCharsets.UTF_8))
          .forEach(v -> seen.merge(v, 1, Integer::sum));
      app.start();
      for (int i = 0; i < total; i++) {
        producer.sendAsync(("m-" + i).getBytes(StandardCharsets.UTF_8));
        if (i == total / 3 || i == 2 * total / 3) {
          producer.flush();
          admin().topics().unload(topic);
        }
      }
      producer.flush();
      sendEnd(topic);
      Await.until("the end marker", Duration.ofSeconds(120), () -> seen.containsKey(END_TEXT));
    }
    seen.remove(END_TEXT);
    assertThat(seen).hasSize(total);
    assertThat(seen.values()).allMatch(n -> n == 1);
    assertThat(meters.find("sluice.source.redelivered.skipped").counter().count()).isZero();
  }

  /**
   * A chunked message reaches the entry reader as separate chunks, which it cannot join: a Reader
   * takes the partition over right after the last entry split, so every message is read once, in
   * order, the chunked one whole, and none twice (not even one the processing thread would have
   * dropped). Restarted after it, the app reads on with whole entries: the broker sends the last
   * chunks again, and they are skipped as read, not taken for a new chunked message.
   */
  @Test
  void shouldHandAPartitionWithAChunkedMessageToAReader() throws Exception {
    String topic = uniqueTopic("entry-chunked");
    admin().topics().createNonPartitionedTopic(topic);
    byte[] big = "x".repeat(10_000).getBytes(StandardCharsets.UTF_8);
    produceBatched(topic, 0, 100);
    try (Producer<byte[]> chunking =
        client()
            .newProducer(Schema.BYTES)
            .topic(topic)
            .enableBatching(false)
            .enableChunking(true)
            .chunkMaxMessageSize(1_000)
            .create()) {
      chunking.send(big);
    }
    sendEnd(topic);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      expected.add("m-" + i);
    }
    expected.add("big");
    Path dir = stateDir.resolve("chunked");
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    assertThat(readChunkedTopic(topic, dir, meters, big.length)).isEqualTo(expected);
    assertThat(meters.find("sluice.source.reader.switches").counter().count()).isEqualTo(1.0);
    assertThat(meters.find("sluice.source.redelivered.skipped").counter().count()).isZero();

    produceBatched(topic, 100, 100);
    sendEnd(topic);
    SimpleMeterRegistry restarted = new SimpleMeterRegistry();
    List<String> rest = new ArrayList<>();
    for (int i = 100; i < 200; i++) {
      rest.add("m-" + i);
    }
    assertThat(readChunkedTopic(topic, dir, restarted, big.length)).isEqualTo(rest);
    assertThat(restarted.find("sluice.source.reader.switches").counter().count()).isZero();
  }

  private static void produceBatched(String topic, int from, int count) throws Exception {
    try (Producer<byte[]> batched =
        client()
            .newProducer(Schema.BYTES)
            .topic(topic)
            .batchingMaxPublishDelay(10, TimeUnit.SECONDS)
            .batchingMaxMessages(50)
            .create()) {
      for (int i = from; i < from + count; i++) {
        batched.sendAsync(("m-" + i).getBytes(StandardCharsets.UTF_8));
      }
      batched.flush();
    }
  }

  /**
   * Reads up to the end marker with entry reads (the marker left out); the chunked message reads as
   * "big".
   */
  private List<String> readChunkedTopic(
      String topic, Path dir, SimpleMeterRegistry meters, int bigSize) throws Exception {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    try (Sluice app = app("entry-chunked", true, dir).meterRegistry(meters).build()) {
      app.stream(PulsarSource.topics(topic))
          .forEach(
              r ->
                  seen.add(
                      r.value().length == bigSize
                          ? "big"
                          : new String(r.value(), StandardCharsets.UTF_8)));
      app.start();
      Await.until("the end marker", Duration.ofSeconds(60), () -> seen.contains(END_TEXT));
      assertThat(app.state()).isEqualTo(Sluice.State.RUNNING);
    }
    List<String> read = new ArrayList<>(seen);
    read.remove(END_TEXT);
    return read;
  }
}
