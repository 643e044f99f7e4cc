package io.sluice.samples.serving;

/**
 * Where the serving sample keeps its data in Redis, under a prefix per run: {@code <run>:plays}
 * (INCRBY), {@code <run>:plays:<song>} (INCRBY), {@code <run>:top} (ZADD of each song's total),
 * {@code <run>:listeners:<song>} and {@code <run>:listeners} (PFADD of user ids).
 */
record RedisKeys(String prefix) {
  String total() {
    return prefix + ":plays";
  }

  String songPlays(String song) {
    return prefix + ":plays:" + song;
  }

  String leaderboard() {
    return prefix + ":top";
  }

  String listeners(String song) {
    return prefix + ":listeners:" + song;
  }

  String allListeners() {
    return prefix + ":listeners";
  }
}
