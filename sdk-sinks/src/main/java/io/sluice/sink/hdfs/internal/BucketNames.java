package io.sluice.sink.hdfs.internal;

/**
 * Buckets come from data, so they are checked before they become paths: a bucket is one or more
 * '/'-separated names below the sink's base path. A control character (a newline would split the
 * line-per-file committable, so every restart would fail to read it), an empty name, "." or ".."
 * (which would write outside the base path, where abort never looks), a leading '/' or a ':' (which
 * Hadoop reads as a scheme) is refused.
 */
public final class BucketNames {
  private BucketNames() {}

  /** What is wrong with {@code bucket} as a bucket, or {@code null} if nothing. */
  public static String problem(String bucket) {
    if (bucket.isEmpty()) {
      return "the bucket is empty";
    }
    for (int i = 0; i < bucket.length(); i++) {
      char c = bucket.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return "the bucket contains a control character (code " + (int) c + ")";
      }
      if (c == ':') {
        return "the bucket contains ':', which Hadoop paths read as a scheme";
      }
    }
    for (String name : bucket.split("/", -1)) {
      if (name.isEmpty()) {
        return "the bucket has an empty name (a leading, trailing or double '/')";
      }
      if (name.equals(".") || name.equals("..")) {
        return "the bucket names '" + name + "', which would leave the sink's base path";
      }
    }
    return null;
  }
}
