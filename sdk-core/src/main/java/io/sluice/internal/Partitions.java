package io.sluice.internal;

/** Names of topic partitions: {@code <base>-partition-<n>}, or a non-partitioned topic's name. */
public final class Partitions {
  private static final String SUFFIX = "-partition-";

  private Partitions() {}

  /** The partition index of {@code topic}, or -1 for a non-partitioned topic. */
  public static int indexOf(String topic) {
    int i = topic.lastIndexOf(SUFFIX);
    if (i < 0) {
      return -1;
    }
    try {
      return Integer.parseInt(topic.substring(i + SUFFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The topic a partition belongs to ({@code topic} itself if it is not a partition). */
  public static String baseOf(String topic) {
    return indexOf(topic) < 0 ? topic : topic.substring(0, topic.lastIndexOf(SUFFIX));
  }

  /**
   * The shard of {@code partitions}'s {@code shards} that reads {@code topic}: a partition's index
   * modulo the count (so partition i of every topic lands in the same shard: topics partitioned by
   * the same key stay together), a non-partitioned topic's name hashed.
   */
  public static int shardOf(String topic, int shards) {
    int index = indexOf(topic);
    return index >= 0 ? index % shards : Math.floorMod(topic.hashCode(), shards);
  }
}
