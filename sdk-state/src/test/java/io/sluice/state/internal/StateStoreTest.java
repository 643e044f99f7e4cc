package io.sluice.state.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.state.MapState;
import io.sluice.state.Serde;
import io.sluice.state.StateException;
import io.sluice.state.ValueState;
import io.sluice.state.internal.CheckpointRecord.SinkCommittable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void shouldRestoreOnlyStateOfCompletedCheckpoints() {
    try (StateStore store = StateStore.open(dir)) {
      KeyedStateBackend backend = new KeyedStateBackend(store);
      ValueState<Long> count = backend.valueState("count", Serde.longs());
      backend.setCurrentKey(utf8("a"));
      count.update(1L);
      StateDelta first = backend.snapshot();
      count.update(2L); // after the snapshot: must not survive a restart
      assertThat(count.value()).isEqualTo(2L);
      store.commitCheckpoint(
          new CheckpointRecord(
              1,
              10,
              Map.of("t-partition-0", utf8("id1")),
              List.of(new SinkCommittable("s", utf8("x")))),
          List.of(first),
          3);
      backend.written(first);
      assertThat(count.value()).isEqualTo(2L);
    }
    try (StateStore store = StateStore.open(dir)) {
      KeyedStateBackend backend = new KeyedStateBackend(store);
      backend.setCurrentKey(utf8("a"));
      assertThat(backend.valueState("count", Serde.longs()).value()).isEqualTo(1L);
      CheckpointRecord latest = store.latestCheckpoint().orElseThrow();
      assertThat(latest.id()).isEqualTo(1);
      assertThat(latest.positions().get("t-partition-0")).isEqualTo(utf8("id1"));
      assertThat(latest.committables()).hasSize(1);
    }
  }

  @Test
  void shouldMergeMapStateAcrossLayersAndKeepOnlyTheNewestCheckpoints() {
    try (StateStore store = StateStore.open(dir)) {
      KeyedStateBackend backend = new KeyedStateBackend(store);
      MapState<String, Long> map = backend.mapState("m", Serde.strings(), Serde.longs());
      backend.setCurrentKey(utf8("k"));
      map.put("x", 1L);
      map.put("y", 2L);
      for (long id = 1; id <= 5; id++) {
        StateDelta d = backend.snapshot();
        store.commitCheckpoint(new CheckpointRecord(id, id, Map.of(), List.of()), List.of(d), 2);
        backend.written(d);
        if (id == 2) {
          map.remove("x");
          map.put("z", 3L);
        }
      }
      assertThat(map.entries()).containsOnly(Map.entry("y", 2L), Map.entry("z", 3L));
      backend.setCurrentKey(utf8("other"));
      assertThat(map.entries()).isEmpty();
      assertThat(store.checkpointIds()).containsExactly(4L, 5L);
    }
  }

  @Test
  void shouldRejectADamagedCheckpointRecord() {
    byte[] encoded = new CheckpointRecord(7, 1, Map.of("p", utf8("id")), List.of()).encode();
    encoded[10] ^= 0x55;
    assertThatThrownBy(() -> CheckpointRecord.decode(encoded))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("checksum");
  }

  @Test
  void shouldNameTheDirectoryWhenItCannotBeCreated() throws Exception {
    Path file = dir.resolve("a-file");
    java.nio.file.Files.writeString(file, "x");
    assertThatThrownBy(() -> StateStore.open(file.resolve("state")))
        .isInstanceOf(StateException.class)
        .hasMessageContaining(file.resolve("state").toString())
        .hasMessageContaining("sluice.state.dir");
  }
}
