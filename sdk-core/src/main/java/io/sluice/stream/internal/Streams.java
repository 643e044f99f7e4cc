package io.sluice.stream.internal;

import io.sluice.internal.graph.StreamNode;
import io.sluice.stream.DataStream;
import java.util.Objects;

/**
 * Creates the {@link DataStream} of a job-graph node for the runtime ({@code Sluice}, {@code
 * TestDriver}), so that {@code DataStream}'s public API shows no internal type: its constructor is
 * package-private and handed over here once, when the class initialises (the same hand-over the
 * JDK's {@code SharedSecrets} use).
 */
public final class Streams {
  /** What {@code DataStream} hands over: its constructor. */
  public interface Access {
    <T> DataStream<T> dataStream(StreamNode<T> node);
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

  /** The stream of records leaving {@code node}. */
  public static <T> DataStream<T> dataStream(StreamNode<T> node) {
    Access a = access;
    if (a == null) {
      try {
        Class.forName(DataStream.class.getName(), true, DataStream.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      a = access;
    }
    return a.dataStream(node);
  }
}
