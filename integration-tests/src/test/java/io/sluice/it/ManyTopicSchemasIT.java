package io.sluice.it;

import static io.sluice.testkit.PulsarFixture.admin;
import static io.sluice.testkit.PulsarFixture.broker;
import static io.sluice.testkit.PulsarFixture.client;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.Sluice;
import io.sluice.source.BadRecordPolicy;
import io.sluice.source.JsonSchemaDocument;
import io.sluice.source.PulsarSchemaDecoder;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.source.TopicDecoders;
import io.sluice.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.schema.SchemaInfo;
import org.apache.pulsar.common.schema.SchemaType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One job over 300 topics, each with its own schema: topic {@code i} requires a field {@code f<i>}.
 * Every topic gets one good record and one record carrying the next topic's field instead of its
 * own, which is valid for the neighbour's schema only; so the 300 skipped records prove that each
 * record was checked against its own topic's schema.
 */
class ManyTopicSchemasIT {
  private static final int TOPICS = 300;

  @TempDir Path stateDir;

  private static String good(int i) {
    return "{\"f" + i + "\":" + i + ",\"n\":\"t" + i + "\"}";
  }

  private static String neighbours(int i) {
    return "{\"f" + ((i + 1) % TOPICS) + "\":" + i + ",\"n\":\"bad" + i + "\"}";
  }

  /** Creates the topics and sends each its good record and its neighbour's record. */
  private static List<String> topics(String prefix) throws Exception {
    List<String> topics = new ArrayList<>();
    for (int i = 0; i < TOPICS; i++) {
      String topic = "persistent://public/default/" + prefix + "-" + i;
      admin().topics().createNonPartitionedTopic(topic);
      topics.add(topic);
    }
    return topics;
  }

  private static void produce(List<String> topics) throws Exception {
    List<CompletableFuture<?>> sent = new ArrayList<>();
    List<Producer<byte[]>> producers = new ArrayList<>();
    try {
      for (int i = 0; i < TOPICS; i++) {
        Producer<byte[]> p = client().newProducer(Schema.BYTES).topic(topics.get(i)).create();
        producers.add(p);
        sent.add(p.sendAsync(good(i).getBytes(StandardCharsets.UTF_8)));
        sent.add(p.sendAsync(neighbours(i).getBytes(StandardCharsets.UTF_8)));
      }
      sent.forEach(CompletableFuture::join);
    } finally {
      for (Producer<byte[]> p : producers) {
        p.close();
      }
    }
  }

  private Map<String, JsonNode> run(String name, String prefix, RecordDecoder<?> decoder)
      throws Exception {
    Map<String, JsonNode> seen = new ConcurrentHashMap<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Sluice app =
        Sluice.builder()
            .name(name)
            .pulsar(broker().serviceUrl(), broker().adminUrl())
            .stateDir(stateDir)
            .meterRegistry(meters)
            .checkpointInterval(Duration.ofMillis(500))
            .build()) {
      app.stream(
              PulsarSource.topicsMatching("persistent://public/default/" + prefix + "-.*")
                  .onBadRecord(BadRecordPolicy.SKIP),
              decoder)
          .forEach(
              value -> {
                JsonNode tree = (JsonNode) value;
                seen.put(tree.get("n").asText(), tree);
              });
      app.start();
      assertThat(app.partitions()).hasSize(TOPICS);
      Await.until("a good record per topic", Duration.ofSeconds(60), () -> seen.size() == TOPICS);
      Await.until(
          "a skipped record per topic",
          Duration.ofSeconds(30),
          () -> meters.get("sluice.source.bad.records").counter().count() == TOPICS);
    }
    return seen;
  }

  private static void assertEachTopicDecodedAgainstItsOwnSchema(Map<String, JsonNode> seen) {
    assertThat(seen).hasSize(TOPICS);
    for (int i = 0; i < TOPICS; i++) {
      assertThat(seen.get("t" + i).get("f" + i).asInt()).isEqualTo(i);
    }
  }

  @Test
  void shouldCheckEachTopicAgainstItsOwnRegisteredSchema() throws Exception {
    String prefix = "many-registry-" + System.nanoTime();
    List<String> topics = topics(prefix);
    for (int i = 0; i < TOPICS; i++) {
      String avro =
          "{\"type\":\"record\",\"name\":\"T"
              + i
              + "\",\"fields\":[{\"name\":\"f"
              + i
              + "\",\"type\":\"long\"},{\"name\":\"n\",\"type\":[\"null\",\"string\"],"
              + "\"default\":null}]}";
      admin()
          .schemas()
          .createSchema(
              topics.get(i),
              SchemaInfo.builder()
                  .name("T" + i)
                  .type(SchemaType.JSON)
                  .schema(avro.getBytes(StandardCharsets.UTF_8))
                  .properties(Map.of())
                  .build());
    }
    produce(topics);
    assertEachTopicDecodedAgainstItsOwnSchema(
        run("many-registry", prefix, PulsarSchemaDecoder.tree()));
  }

  @Test
  void shouldCheckEachTopicAgainstItsOwnJsonSchemaDocument() throws Exception {
    String prefix = "many-documents-" + System.nanoTime();
    List<String> topics = topics(prefix);
    TopicDecoders.Builder decoders = TopicDecoders.builder();
    for (int i = 0; i < TOPICS; i++) {
      JsonSchemaDocument schema =
          JsonSchemaDocument.fromString(
              "topic-" + i,
              "{\"type\":\"object\",\"required\":[\"f"
                  + i
                  + "\",\"n\"],\"properties\":{\"f"
                  + i
                  + "\":{\"type\":\"integer\"},\"n\":{\"type\":\"string\"}}}");
      decoders.topic(topics.get(i), schema.treeDecoder());
    }
    produce(topics);
    assertEachTopicDecodedAgainstItsOwnSchema(run("many-documents", prefix, decoders.build()));
  }
}
