package io.sluice.state.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scopes isolate state inside one namespace, and another backend on the namespace sees them. */
class KeyedStateScopeTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldKeepEachScopesStateApartAndReadableFromAnotherBackend() {
    byte[] ns = utf8("\0auto\0");
    try (StateStore store = StateStore.open(dir)) {
      KeyedStateBackend first = new KeyedStateBackend(store, ns);
      ValueState<Long> count = first.valueState("count", Serde.longs());
      MapState<String, Long> map = first.mapState("m", Serde.strings(), Serde.longs());
      first.setCurrentKey(utf8("k"));
      first.setScope(KeyedStateBackend.scopeOf("topic-a"));
      count.update(1L);
      map.put("x", 1L);
      first.setScope(KeyedStateBackend.scopeOf("topic-b"));
      assertThat(count.value()).isNull();
      assertThat(map.entries()).isEmpty();
      count.update(7L);
      first.setScope(new byte[0]);
      assertThat(count.value()).as("unscoped").isNull();
      count.update(100L);
      store.commitCheckpoint(
          new CheckpointRecord(1, 10, Map.of(), List.of()), List.of(first.snapshot()), 3);

      // another group on the same namespace (a regroup) finds each topic's state by its scope
      KeyedStateBackend second = new KeyedStateBackend(store, ns);
      ValueState<Long> again = second.valueState("count", Serde.longs());
      MapState<String, Long> mapAgain = second.mapState("m", Serde.strings(), Serde.longs());
      second.setCurrentKey(utf8("k"));
      second.setScope(KeyedStateBackend.scopeOf("topic-a"));
      assertThat(again.value()).isEqualTo(1L);
      assertThat(mapAgain.entries()).containsExactly(Map.entry("x", 1L));
      second.setScope(KeyedStateBackend.scopeOf("topic-b"));
      assertThat(again.value()).isEqualTo(7L);
      assertThat(mapAgain.entries()).isEmpty();
      second.setScope(new byte[0]);
      assertThat(again.value()).isEqualTo(100L);
    }
  }
}
