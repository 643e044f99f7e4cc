package io.sluice.sink;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a sink writer hands to a checkpoint so its output can be committed once the checkpoint is
 * complete: small, opaque bytes (a transaction id, a list of file names, a batch id). Stored in the
 * checkpoint record; equal bytes mean the same committable.
 */
public final class Committable {
  private final byte[] bytes;

  private Committable(byte[] bytes) {
    this.bytes = bytes;
  }

  public static Committable of(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes must not be null");
    return new Committable(bytes.clone());
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Committable c && Arrays.equals(bytes, c.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Committable{" + bytes.length + " bytes}";
  }
}
