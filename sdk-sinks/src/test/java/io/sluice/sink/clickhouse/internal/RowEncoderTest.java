package io.sluice.sink.clickhouse.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RowEncoderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final RowEncoder encoder = new RowEncoder(Set.of("s", "n", "x", "b", "z"));

  private static String text(RowEncoder.Body body) {
    return new String(body.toByteArray(), StandardCharsets.UTF_8);
  }

  @Test
  void shouldWriteWhatJacksonReadsBackAsTheSameValues() throws Exception {
    String tricky = "q\"b\\s/\n\r\t\b\f\u0001 é € 😀 中文";
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("s", tricky);
    row.put("n", -9_007_199_254_740_993L);
    row.put("x", 2.5e-7);
    row.put("b", true);
    row.put("z", null);
    RowEncoder.Body body = new RowEncoder.Body(4);
    encoder.append(row, body);
    encoder.append(Map.of("n", 7), body);
    String[] lines = text(body).split("\n", -1);
    assertThat(lines).hasSize(3);
    assertThat(lines[2]).isEmpty();
    JsonNode first = JSON.readTree(lines[0]);
    assertThat(first.get("s").asText()).isEqualTo(tricky);
    assertThat(first.get("n").asLong()).isEqualTo(-9_007_199_254_740_993L);
    assertThat(first.get("x").asDouble()).isEqualTo(2.5e-7);
    assertThat(first.get("b").asBoolean()).isTrue();
    assertThat(first.get("z").isNull()).isTrue();
    assertThat(first.size()).isEqualTo(5);
    assertThat(lines[1]).isEqualTo("{\"n\":7}");
  }

  @Test
  void shouldEncodeOtherValuesAsJacksonDoes() throws Exception {
    RowEncoder.Body body = new RowEncoder.Body(16);
    encoder.append(Map.of("x", List.of(1, 2)), body);
    assertThat(text(body)).isEqualTo("{\"x\":[1,2]}\n");
  }

  @Test
  void shouldLeaveTheBodyAsItWasWhenAColumnIsUnknown() throws Exception {
    RowEncoder.Body body = new RowEncoder.Body(16);
    encoder.append(Map.of("n", 1), body);
    Map<String, Object> bad = new LinkedHashMap<>();
    bad.put("n", 2);
    bad.put("colour", "red");
    assertThatThrownBy(() -> encoder.append(bad, body))
        .isInstanceOfSatisfying(
            RowEncoder.UnknownColumnException.class, e -> assertThat(e.column).isEqualTo("colour"));
    assertThat(text(body)).isEqualTo("{\"n\":1}\n");
  }

  @Test
  void shouldRefuseABrokenSurrogatePairAndKeepTheBody() throws Exception {
    RowEncoder.Body body = new RowEncoder.Body(16);
    encoder.append(Map.of("n", 1), body);
    assertThatThrownBy(() -> encoder.append(Map.of("s", "a\uD83Db"), body))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("surrogate");
    assertThat(text(body)).isEqualTo("{\"n\":1}\n");
  }
}
