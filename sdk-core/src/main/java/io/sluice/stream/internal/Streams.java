package io.sluice.stream.internal;

import io.sluice.internal.graph.StreamNode;
import java.util.Objects;

/**
 * Creates the {@code DataStream} of a job-graph node for the runtime ({@code Sluice}, {@code
 * TestDriver}), so that {@code DataStream}'s public API shows no internal type: its constructor is
 * package-private and handed over here once, when the class initialises (the same hand-over the
 * JDK's {@code SharedSecrets} use).
 *
 * <p>This package does not import the public stream package (which imports this one), so the stream
 * is returned as the caller's type: a {@code StreamNode<T>} gives a {@code DataStream<T>}.
 */
public final class Streams {
  private static final String DATA_STREAM = "io.sluice.stream.DataStream";

  /** What {@code DataStream} hands over: its constructor. */
  public interface Access {
    Object dataStream(StreamNode<?> node);
  }

  private static volatile Access access;

  private Streams() {}

  /** Called once, by {@code DataStream}'s static initialiser. */
  public static synchronized void setAccess(Access a) {
    Objects.requireNonNull(a, "a must not be null");
    if (access != null) {
      throw new IllegalStateException("DataStream access is already set");
    }
    access = a;
  }

  /** The {@code DataStream<T>} of records leaving {@code node}, a {@code StreamNode<T>}. */
  @SuppressWarnings("unchecked")
  public static <S> S dataStream(StreamNode<?> node) {
    Access a = access;
    if (a == null) {
      try {
        Class.forName(DATA_STREAM, true, Streams.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      a = access;
    }
    return (S) a.dataStream(node);
  }
}
