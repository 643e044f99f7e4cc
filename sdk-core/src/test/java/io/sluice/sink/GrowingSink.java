package io.sluice.sink;

import io.sluice.source.SourceRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test sink whose committable is more than the handle it registered (the handle, then what the
 * batch wrote, as the HDFS sink's batch id and file names); it records commits and aborts.
 *
 * <p>Registers {@code b<n>} before a batch's first record; prepares {@code b<n>|v1,v2,…}.
 */
public class GrowingSink implements Sink<SourceRecord> {
  public final List<String> commits = new CopyOnWriteArrayList<>();
  public final List<String> aborts = new CopyOnWriteArrayList<>();
  private final AtomicInteger batches = new AtomicInteger();

  @Override
  public String name() {
    return "growing";
  }

  @Override
  public SinkWriter<SourceRecord> createWriter(SinkContext context) {
    return new SinkWriter<>() {
      private StringBuilder batch;

      @Override
      public void write(SourceRecord value) {
        if (batch == null) {
          String handle = "b" + batches.incrementAndGet();
          context.registerPending(Committable.of(bytes(handle)));
          batch = new StringBuilder(handle).append('|');
        } else {
          batch.append(',');
        }
        batch.append(new String(value.value(), StandardCharsets.UTF_8));
      }

      @Override
      public CompletableFuture<Committable> prepareCommit(long checkpointId) {
        Committable c = batch == null ? null : Committable.of(bytes(batch.toString()));
        batch = null;
        return CompletableFuture.completedFuture(c);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Committer createCommitter(SinkContext context) {
    return new Committer() {
      @Override
      public void commit(Committable c) {
        beforeCommit(string(c));
        commits.add(string(c));
      }

      @Override
      public void abort(Committable c) {
        aborts.add(string(c));
      }

      @Override
      public Committable pendingHandleOf(Committable c) {
        String s = string(c);
        return Committable.of(bytes(s.substring(0, s.indexOf('|'))));
      }
    };
  }

  /** Called before a commit is recorded, on the committing thread. */
  protected void beforeCommit(String committable) {}

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(Committable c) {
    return new String(c.bytes(), StandardCharsets.UTF_8);
  }
}
