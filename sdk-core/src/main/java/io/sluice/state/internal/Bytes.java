package io.sluice.state.internal;

import java.util.Arrays;

/** A byte array with value equality, for hash maps of RocksDB keys. */
public final class Bytes implements Comparable<Bytes> {
  private final byte[] data;
  private final int hash;

  public Bytes(byte[] data) {
    this.data = data;
    this.hash = Arrays.hashCode(data);
  }

  public byte[] get() {
    return data;
  }

  public boolean startsWith(byte[] prefix) {
    return data.length >= prefix.length
        && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && hash == other.hash && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(Bytes o) {
    return Arrays.compareUnsigned(data, o.data);
  }
}
