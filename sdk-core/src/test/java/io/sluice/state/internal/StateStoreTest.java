package io.sluice.state.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.StateException;
import io.sluice.state.MapState;
import io.sluice.state.Serde;
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

  /**
   * RocksJava does not check a closed object: a call after close would read freed native memory (a
   * metrics scrape after the app stopped, a late commit). The store refuses instead.
   */
  @Test
  void shouldRefuseEveryCallAfterCloseInsteadOfTouchingFreedMemory() throws Exception {
    StateStore store = StateStore.open(dir);
    byte[] key = "k".getBytes(StandardCharsets.UTF_8);
    store.commitCheckpoint(
        new CheckpointRecord(1, 0, Map.of(), List.of()),
        List.of(delta(key, "v".getBytes(StandardCharsets.UTF_8))),
        3);
    assertThat(store.approximateSizeBytes()).isGreaterThan(0);

    // a reader racing the close either reads or is refused; it never crashes the JVM
    java.util.concurrent.atomic.AtomicReference<Throwable> readerEnd =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                while (true) {
                  assertThat(store.getState(key)).isNotNull();
                  store.approximateSizeBytes();
                }
              } catch (Throwable t) {
                readerEnd.set(t);
              }
            });
    reader.start();
    Thread.sleep(200);
    store.close();
    reader.join(10_000);
    assertThat(readerEnd.get()).isInstanceOf(StateException.class).hasMessageContaining("closed");

    store.close(); // idempotent
    assertThat(store.approximateSizeBytes()).isEqualTo(-1);
    List<org.assertj.core.api.ThrowableAssert.ThrowingCallable> calls =
        List.of(
            store::latestCheckpoint,
            store::checkpointIds,
            () ->
                store.commitCheckpoint(
                    new CheckpointRecord(2, 0, Map.of(), List.of()), List.of(), 3),
            () -> store.getState(key),
            () -> store.scanState(key),
            () -> store.putPending("s", 1, key),
            store::pending,
            () -> store.removePending(List.of(new StateStore.PendingHandle("s", 1, key))));
    for (var call : calls) {
      assertThatThrownBy(call).isInstanceOf(StateException.class).hasMessageContaining("is closed");
    }
  }

  private static StateDelta delta(byte[] key, byte[] value) {
    StateDelta delta = new StateDelta();
    delta.put(new Bytes(key), value);
    return delta;
  }
}
