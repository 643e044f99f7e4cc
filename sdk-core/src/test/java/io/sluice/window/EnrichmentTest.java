package io.sluice.window;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.lookup.LookupTable;
import io.sluice.source.PulsarSource;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;
import io.sluice.source.TopicDecoders;
import io.sluice.testing.CollectingSink;
import io.sluice.testing.TestDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnrichmentTest {
  @TempDir Path dir;

  public record Click(String user, String experiment) {}

  public record Order(String user, double amount) {}

  @Test
  void shouldDecodeEachTopicWithItsOwnSchemaAndEnrichFromARefreshedTable() throws Exception {
    Path table = dir.resolve("experiments.jsonl");
    Files.writeString(
        table, "{\"id\":\"e1\",\"variant\":\"A\"}\n{\"id\":\"e2\",\"variant\":\"B\"}\n");
    CollectingSink<String> out = new CollectingSink<>("out");
    try (LookupTable<String, JsonNode> experiments =
            LookupTable.jsonLines(table, "id", Duration.ZERO);
        TestDriver driver = TestDriver.create(dir.resolve("state"))) {
      RecordDecoder<Object> decoder =
          TopicDecoders.builder()
              .topic("clicks", RecordDecoder.json(Click.class))
              .pattern("persistent://public/default/orders-.*", RecordDecoder.json(Order.class))
              .build();
      driver.stream(
              PulsarSource.topicsMatching("persistent://public/default/(clicks|orders-eu)"),
              decoder)
          .lookupJoin(
              experiments,
              v -> v instanceof Click c ? c.experiment() : null,
              (v, exp) -> v + " variant=" + (exp == null ? "-" : exp.get("variant").asText()))
          .sinkTo(out);
      driver.start();
      driver.send("clicks", 0, "u1", "{\"user\":\"u1\",\"experiment\":\"e1\"}", 1);
      driver.send("orders-eu", 0, "u1", "{\"user\":\"u1\",\"amount\":9.5}", 2);
      Files.writeString(table, "{\"id\":\"e1\",\"variant\":\"C\"}\n");
      experiments.refresh();
      driver.send("clicks", 0, "u2", "{\"user\":\"u2\",\"experiment\":\"e1\"}", 3);
      driver.checkpoint();
      assertThat(out.committed())
          .containsExactly(
              "Click[user=u1, experiment=e1] variant=A",
              "Order[user=u1, amount=9.5] variant=-",
              "Click[user=u2, experiment=e1] variant=C");
      assertThat(experiments.loads()).isEqualTo(2);

      Files.writeString(table, "not json\n");
      experiments.refresh(); // a broken refresh keeps the previous table
      assertThat(experiments.refreshFailures()).isEqualTo(1);
      assertThat(experiments.get("e1").get("variant").asText()).isEqualTo("C");
    }
  }

  @Test
  void shouldTreatATopicWithoutSchemaAsABadRecord() {
    RecordDecoder<Object> decoder =
        TopicDecoders.builder().topic("clicks", RecordDecoder.json(Click.class)).build();
    SourceRecord record =
        new SourceRecord(
            "persistent://public/default/other-partition-0",
            org.apache.pulsar.client.api.MessageId.earliest,
            null,
            "{}".getBytes(),
            1,
            0,
            null);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> decoder.decode(record))
        .hasMessageContaining("no schema for topic persistent://public/default/other");
  }
}
