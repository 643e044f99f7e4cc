package io.sluice.samples.serving;

import io.sluice.samples.common.Mix;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The serving sample's input as a pure function of its options: play {@code j} is by one of {@code
 * users} users, of one of {@code songs} songs picked with a skewed (roughly Zipf-like) popularity,
 * so the leaderboard has a clear head and a long tail.
 */
record PlayLayout(long plays, int users, int songs) {
  Play play(long j) {
    long r = Mix.of(j, 1) % 1_000_000;
    // squaring a uniform number skews it towards 0: low song numbers are the popular ones
    int song = (int) (songs * (r / 1e6) * (r / 1e6));
    return new Play("u" + Mix.of(j, 2) % users, "song-" + song, 0);
  }

  /** Plays per song. */
  Map<String, Long> counts() {
    Map<String, Long> counts = new HashMap<>();
    for (long j = 0; j < plays; j++) {
      counts.merge(play(j).song, 1L, Long::sum);
    }
    return counts;
  }

  /** Distinct listeners per song. */
  Map<String, Set<String>> listeners() {
    Map<String, Set<String>> listeners = new HashMap<>();
    for (long j = 0; j < plays; j++) {
      Play p = play(j);
      listeners.computeIfAbsent(p.song, s -> new HashSet<>()).add(p.user);
    }
    return listeners;
  }
}
