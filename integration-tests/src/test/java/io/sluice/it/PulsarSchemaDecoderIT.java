package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.client;
import static io.sluice.testkit.PulsarFixture.uniqueTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.errors.ConfigException;
import io.sluice.errors.SourceException;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.PulsarSchemaDecoder;
import io.sluice.source.PulsarSource;
import io.sluice.source.TopicDecoders;
import io.sluice.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PulsarSchemaDecoder} against schemas registered in the real broker's registry. */
class PulsarSchemaDecoderIT {
  @TempDir Path stateDir;

  /** What producers register with {@code Schema.JSON(Event.class)}: id required, user nullable. */
  public static class Event {
    public long id;
    public String user;
    public Item item;

    public Event() {}

    Event(long id, String user, Item item) {
      this.id = id;
      this.user = user;
      this.item = item;
    }
  }

  /** A nested record: sku nullable, qty (int) required. */
  public static class Item {
    public String sku;
    public int qty;

    public Item() {}

    Item(String sku, int qty) {
      this.sku = sku;
      this.qty = qty;
    }
  }

  /** Bad payloads, in the order they are sent, each with what its reason must name. */
  static final List<String[]> BAD =
      List.of(
          new String[] {"{\"user\":\"no-id\"}", "/id: required property 'id' not found"},
          new String[] {"{\"id\":\"seven\",\"user\":\"x\"}", "/id: string found, integer expected"},
          new String[] {"{\"id\":5,\"item\":{\"sku\":\"a\"}}", "/item/qty: required property"},
          new String[] {
            "{\"id\":6,\"item\":{\"qty\":3000000000}}", "/item/qty: must have a maximum"
          },
          new String[] {"{\"id\":7,", "Unexpected end-of-input"},
          new String[] {"", "empty payload"});

  /**
   * A topic whose JSON schema is registered by a {@code Schema.JSON} producer sending two good
   * events, with the bad payloads sent between them by a bytes producer (no schema check at the
   * broker: the broker does not enforce schemas on schemaless producers by default).
   */
  static String topicWithGoodAndBadRecords(int partitions, List<MessageId> badIds)
      throws Exception {
    String topic = uniqueTopic("schema");
    if (partitions > 0) {
      admin().topics().createPartitionedTopic(topic, partitions);
    } else {
      admin().topics().createNonPartitionedTopic(topic);
    }
    try (Producer<Event> typed =
            client()
                .newProducer(Schema.JSON(Event.class))
                .topic(topic)
                .enableBatching(false)
                .create();
        Producer<byte[]> raw =
            client().newProducer(Schema.BYTES).topic(topic).enableBatching(false).create()) {
      typed.newMessage().key("k").value(new Event(1, "a", new Item("s", 2))).send();
      for (String[] bad : BAD) {
        badIds.add(raw.newMessage().key("k").value(bad[0].getBytes(StandardCharsets.UTF_8)).send());
      }
      typed.newMessage().key("k").value(new Event(2, null, null)).send();
    }
    assertThat(admin().schemas().getSchemaInfo(topic).getType())
        .isEqualTo(org.apache.pulsar.common.schema.SchemaType.JSON);
    return topic;
  }

  private Sluice.Builder app(String name, SimpleMeterRegistry meters) {
    return Sluice.builder()
        .name(name)
        .pulsar(broker().serviceUrl(), broker().adminUrl())
        .stateDir(stateDir)
        .meterRegistry(meters)
        .checkpointInterval(Duration.ofMillis(300));
  }

  @Test
  void shouldDecodeGoodRecordsAndSkipAndCountBadOnes() throws Exception {
    String topic = topicWithGoodAndBadRecords(2, new ArrayList<>());
    List<JsonNode> seen = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app = app("schema-skip", meters).build()) {
      app.stream(
              PulsarSource.topics(topic).onBadRecord(BadRecordPolicy.SKIP),
              PulsarSchemaDecoder.tree())
          .forEach(seen::add);
      app.start();
      Await.until("two good records", Duration.ofSeconds(30), () -> seen.size() == 2);
      Await.until(
          "the bad records counted",
          Duration.ofSeconds(10),
          () -> meters.get("sluice.source.bad.records").counter().count() == BAD.size());
    }
    assertThat(seen).extracting(n -> n.get("id").asLong()).containsExactly(1L, 2L);
    assertThat(seen.get(0).get("item").get("qty").asInt()).isEqualTo(2);
  }

  @Test
  void shouldDeadLetterExactlyTheBadRecordsWithBytesAndReason() throws Exception {
    String topic = topicWithGoodAndBadRecords(0, new ArrayList<>());
    String dlq = uniqueTopic("schema-dlq");
    admin().topics().createNonPartitionedTopic(dlq);
    List<Event> seen = new CopyOnWriteArrayList<>();
    try (Sluice app = app("schema-dlq", new SimpleMeterRegistry()).build()) {
      app.stream(
              PulsarSource.topics(topic).deadLetterTo(dlq), PulsarSchemaDecoder.bind(Event.class))
          .forEach(seen::add);
      app.start();
      Await.until("two good records", Duration.ofSeconds(30), () -> seen.size() == 2);
      long checkpoint = app.lastCompletedCheckpoint();
      Await.until(
          "a checkpoint after them",
          Duration.ofSeconds(30),
          () -> app.lastCompletedCheckpoint() > checkpoint + 1);
    }
    assertThat(seen).extracting(e -> e.id).containsExactly(1L, 2L);
    assertThat(seen.get(0).item.qty).isEqualTo(2);
    List<Message<byte[]>> dead = new ArrayList<>();
    try (Reader<byte[]> reader =
        client().newReader().topic(dlq).startMessageId(MessageId.earliest).create()) {
      while (reader.hasMessageAvailable()) {
        dead.add(reader.readNext(10, TimeUnit.SECONDS));
      }
    }
    assertThat(dead).hasSize(BAD.size());
    for (int i = 0; i < BAD.size(); i++) {
      assertThat(new String(dead.get(i).getValue(), StandardCharsets.UTF_8))
          .isEqualTo(BAD.get(i)[0]);
      assertThat(dead.get(i).getProperty("sluice.error")).contains(BAD.get(i)[1]);
      assertThat(dead.get(i).getProperty("sluice.source.topic")).isEqualTo(topic);
      assertThat(dead.get(i).getKey()).isEqualTo("k");
    }
    assertThat(dead.get(0).getProperty("sluice.error"))
        .contains("SchemaViolationException")
        .contains("the Pulsar JSON schema of " + topic)
        .contains("(rule required)");
  }

  @Test
  void shouldFailNamingTopicPartitionMessageIdAndReason() throws Exception {
    List<MessageId> badIds = new ArrayList<>();
    String topic = topicWithGoodAndBadRecords(2, badIds);
    List<JsonNode> seen = new CopyOnWriteArrayList<>();
    Sluice app = app("schema-fail", new SimpleMeterRegistry()).build();
    app.stream(PulsarSource.topics(topic), PulsarSchemaDecoder.tree()).forEach(seen::add);
    app.start();
    assertThat(app.awaitTermination(Duration.ofSeconds(30))).isTrue();
    assertThat(app.state()).isEqualTo(Sluice.State.FAILED);
    MessageId first = badIds.get(0);
    assertThatThrownBy(app::close)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("Cannot decode the message " + first + " of " + topic)
        .hasMessageMatching("(?s).* of \\Q" + topic + "\\E-partition-(\\d) \\(partition \\1\\): .*")
        .hasMessageContaining("/id: required property 'id' not found (rule required)");
    assertThat(seen).extracting(n -> n.get("id").asLong()).containsExactly(1L);
  }

  @Test
  void shouldFailAtStartNamingEveryTopicWithoutAJsonSchema() throws Exception {
    String none = uniqueTopic("schema-none");
    String text = uniqueTopic("schema-string");
    admin().topics().createNonPartitionedTopic(none);
    try (Producer<String> p = client().newProducer(Schema.STRING).topic(text).create()) {
      p.send("hello");
    }
    Sluice app = app("schema-start", new SimpleMeterRegistry()).build();
    app.stream(
            PulsarSource.topics(none, text),
            TopicDecoders.builder().pattern(".*", PulsarSchemaDecoder.tree()).build())
        .forEach(record -> {});
    assertThatThrownBy(app::start)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PulsarSchemaDecoder cannot decode 2 topic(s)")
        .hasMessageContaining("topic " + none + " has no schema in the Pulsar schema registry")
        .hasMessageContaining("Schema.JSON(YourClass.class)")
        .hasMessageContaining("topic " + text + " has a STRING schema");
    app.close();
  }

  @Test
  void shouldFetchTheSchemaOfATopicFoundByDiscovery() throws Exception {
    String prefix = "persistent://public/default/schema-disc-" + System.nanoTime();
    try (Producer<Event> p =
        client().newProducer(Schema.JSON(Event.class)).topic(prefix + "-a").create()) {
      p.send(new Event(1, "a", null));
    }
    List<JsonNode> seen = new CopyOnWriteArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
        app("schema-discovery", meters).discoveryInterval(Duration.ofMillis(300)).build()) {
      app.stream(
              PulsarSource.topicsMatching(prefix + "-.*").onBadRecord(BadRecordPolicy.SKIP),
              PulsarSchemaDecoder.tree())
          .forEach(seen::add);
      app.start();
      Await.until("the first topic's record", Duration.ofSeconds(30), () -> seen.size() == 1);
      // a new topic with its own schema, and one with none (its records are bad records)
      try (Producer<Item> p =
              client().newProducer(Schema.JSON(Item.class)).topic(prefix + "-b").create();
          Producer<byte[]> raw = client().newProducer(Schema.BYTES).topic(prefix + "-b").create();
          Producer<byte[]> noSchema =
              client().newProducer(Schema.BYTES).topic(prefix + "-c").create()) {
        p.send(new Item("sku-1", 3));
        raw.send("{\"sku\":\"no-qty\"}".getBytes(StandardCharsets.UTF_8));
        noSchema.send("{\"qty\":1}".getBytes(StandardCharsets.UTF_8));
      }
      Await.until("the new topic's good record", Duration.ofSeconds(30), () -> seen.size() == 2);
      Await.until(
          "its bad record and the schemaless topic's record skipped",
          Duration.ofSeconds(30),
          () -> meters.get("sluice.source.bad.records").counter().count() == 2.0);
    }
    assertThat(seen.get(1).get("sku").asText()).isEqualTo("sku-1");
  }
}
