package io.sluice.samples.common;

/** A fixed 64-bit mix (SplitMix64's finaliser): repeatable "random" choices for generators. */
public final class Mix {
  private Mix() {}

  /** A non-negative mix of a number and a salt. */
  public static long of(long n, long salt) {
    long z = n * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & Long.MAX_VALUE;
  }
}
