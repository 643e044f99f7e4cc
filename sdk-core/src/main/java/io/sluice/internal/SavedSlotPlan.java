package io.sluice.internal;

import io.sluice.state.Serde;
import io.sluice.state.ValueState;
import io.sluice.state.internal.KeyedStateBackend;
import io.sluice.state.internal.StateStore;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The automatic slot-group plan of a pipeline with keyed state, saved in the default group's keyed
 * state so it is part of every checkpoint. Keyed state lives in the namespace of the group that
 * built it; a restart that re-planned from fresh byte rates could move a topic to another group and
 * lose sight of its state, so such a restart keeps the saved plan instead.
 */
final class SavedSlotPlan {
  private static final byte[] KEY = "\0sluice.slotgroups".getBytes(StandardCharsets.UTF_8);
  private static final String STATE = "\0sluice.slotgroups.plan";

  private SavedSlotPlan() {}

  /** Writes {@code groupOfTopic} into {@code backend} (before its processing thread starts). */
  static void write(KeyedStateBackend backend, Map<String, String> groupOfTopic) {
    StringBuilder text = new StringBuilder();
    new TreeMap<>(groupOfTopic)
        .forEach((t, g) -> text.append(t).append('\t').append(g).append('\n'));
    backend.setCurrentKey(KEY);
    state(backend).update(text.toString());
  }

  /** The plan saved in the newest checkpoint written to {@code store}, or an empty map. */
  static Map<String, String> read(StateStore store) {
    KeyedStateBackend backend = new KeyedStateBackend(store, new byte[0]);
    backend.setCurrentKey(KEY);
    String text = state(backend).value();
    Map<String, String> plan = new TreeMap<>();
    if (text != null) {
      for (String line : text.split("\n")) {
        int tab = line.indexOf('\t');
        if (tab > 0) {
          plan.put(line.substring(0, tab), line.substring(tab + 1));
        }
      }
    }
    return plan;
  }

  private static ValueState<String> state(KeyedStateBackend backend) {
    return backend.valueState(STATE, Serde.strings());
  }
}
