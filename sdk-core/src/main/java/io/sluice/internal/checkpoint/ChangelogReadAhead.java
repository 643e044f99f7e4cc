package io.sluice.internal.checkpoint;

import io.sluice.errors.CheckpointException;
import io.sluice.internal.TakeOverLog;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;

/**
 * A replica's first pass over a unit's changelog while its lease on the unit settles: creates the
 * changelog's topics if needed and reads them as far as they are readable, the state topic on one
 * thread and the records and journal on another. Nothing is written and nothing is fenced, so a
 * replica whose lease does not settle just drops the pass ({@link #close}); one that settles hands
 * it to {@link Changelog#open}, which fences the former holder and then reads only the rest ({@link
 * ChangelogView}).
 *
 * <p>The compaction of the topics (their threshold, and one compaction now, see {@link
 * ChangelogTopics#setUpCompaction}) waits until the replica committed its first checkpoint, so that
 * the broker's compaction does not compete with the take-over and that checkpoint.
 */
public final class ChangelogReadAhead implements AutoCloseable {
  private final CompletableFuture<ChangelogView> view = new CompletableFuture<>();

  /** Completed once the replica started up (true) or the pass was dropped (false). */
  private final CompletableFuture<Boolean> startedUp = new CompletableFuture<>();

  private volatile long readMillis;
  private boolean taken;

  private ChangelogReadAhead() {}

  /** Starts reading the changelog of {@code unit} on threads of {@code threads}. */
  public static ChangelogReadAhead start(
      String unit,
      String namespace,
      PulsarClient client,
      PulsarAdmin admin,
      ThreadFactory threads) {
    ChangelogTopics topics = ChangelogTopics.of(unit, namespace);
    ChangelogReadAhead ahead = new ChangelogReadAhead();
    threads.newThread(() -> ahead.run(unit, topics, client, admin, threads)).start();
    return ahead;
  }

  private void run(
      String unit,
      ChangelogTopics topics,
      PulsarClient client,
      PulsarAdmin admin,
      ThreadFactory threads) {
    ChangelogView opened = null;
    try {
      topics.create(admin, true);
      long started = System.nanoTime();
      opened = ChangelogView.open(client, topics, true);
      ChangelogView v = opened;
      CompletableFuture<Void> records = new CompletableFuture<>();
      threads
          .newThread(
              () -> {
                try {
                  v.readRecords();
                  v.readJournal();
                  records.complete(null);
                } catch (RuntimeException | Error e) {
                  records.completeExceptionally(e);
                }
              })
          .start();
      v.readState();
      try {
        records.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
      readMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      TakeOverLog.step(unit, "read-ahead");
      view.complete(v);
    } catch (RuntimeException | Error e) {
      if (opened != null) {
        opened.close();
      }
      view.completeExceptionally(e);
      return;
    }
    if (startedUp.join()) {
      topics.setUpCompaction(admin, true);
    }
  }

  /** Waits for the first pass to end; the view is the caller's from then on. */
  synchronized ChangelogView take() {
    taken = true;
    try {
      return view.join();
    } catch (CompletionException e) {
      startedUp.complete(false);
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CheckpointException("Reading the changelog ahead failed: " + e.getCause(), e);
    }
  }

  /** How long the first pass read, in ms. */
  long readMillis() {
    return readMillis;
  }

  /** The replica committed its first checkpoint: the topics may be compacted now. */
  void startedUp() {
    startedUp.complete(true);
  }

  /**
   * Drops the pass (the lease did not settle, or the start failed): its Readers close once it ends,
   * and nothing is compacted.
   */
  @Override
  public synchronized void close() {
    startedUp.complete(false);
    if (!taken) {
      taken = true;
      view.thenAccept(ChangelogView::close);
    }
  }
}
