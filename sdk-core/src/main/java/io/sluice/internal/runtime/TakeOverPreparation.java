package io.sluice.internal.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.errors.StateException;
import io.sluice.internal.AppSettings;
import io.sluice.internal.TakeOverLog;
import io.sluice.internal.Threads;
import io.sluice.internal.checkpoint.ChangelogReadAhead;
import io.sluice.internal.checkpoint.Recovery;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What a replica does for a unit (an app, or one shard of it) while its hold on the unit's lease
 * settles, in parallel: reads the unit's changelog ahead ({@link ChangelogReadAhead}) and opens its
 * state directory ({@link Recovery#open}: the directory's lock, then RocksDB). Neither writes to
 * anything another replica reads, so a replica whose lease does not settle drops both ({@link
 * #close}); one that settles hands them to the take-over, which then only does what needs the
 * lease.
 */
final class TakeOverPreparation implements AutoCloseable {
  private final ChangelogReadAhead readAhead;
  private final CompletableFuture<Recovery.OpenedStore> store = new CompletableFuture<>();
  private boolean readAheadTaken;
  private boolean storeTaken;

  private TakeOverPreparation(ChangelogReadAhead readAhead) {
    this.readAhead = readAhead;
  }

  /**
   * Starts preparing to take {@code unit} over: its changelog (beside the app's sources in {@code
   * namespace}; none unless the app keeps one) and its state directory {@code stateDir}.
   */
  static TakeOverPreparation start(
      AppSettings settings,
      String unit,
      String namespace,
      PulsarConnections pulsar,
      Path stateDir,
      MeterRegistry meters) {
    ChangelogReadAhead ahead =
        settings.stateChangelog()
            ? ChangelogReadAhead.start(
                unit,
                namespace,
                pulsar.client(),
                pulsar.admin(),
                Threads.named(settings.threadFactory(), settings.name(), "changelog-read"))
            : null;
    TakeOverPreparation prepared = new TakeOverPreparation(ahead);
    Threads.named(settings.threadFactory(), settings.name(), "store-open")
        .newThread(() -> prepared.openStore(unit, stateDir, meters))
        .start();
    return prepared;
  }

  private void openStore(String unit, Path stateDir, MeterRegistry meters) {
    try {
      Recovery.OpenedStore opened = Recovery.open(unit, stateDir, meters);
      TakeOverLog.step(unit, "store-opened");
      store.complete(opened);
    } catch (RuntimeException | Error e) {
      store.completeExceptionally(e);
    }
  }

  /** The changelog read so far (null if the app keeps none); the caller's from now on. */
  synchronized ChangelogReadAhead takeReadAhead() {
    readAheadTaken = true;
    return readAhead;
  }

  /**
   * Waits until the state directory is open and hands it over, or rethrows why it could not be
   * opened (another app holds it; it cannot be written).
   */
  Recovery.OpenedStore takeStore() {
    synchronized (this) {
      storeTaken = true;
    }
    try {
      return store.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new StateException("Opening the state directory failed: " + e.getCause(), e);
    }
  }

  /**
   * Drops what was not taken (the lease did not settle, or the start failed before taking it): the
   * changelog's pass ends and closes its Readers; the state directory is closed, once its open
   * ended.
   */
  @Override
  public synchronized void close() {
    if (!readAheadTaken && readAhead != null) {
      readAheadTaken = true;
      readAhead.close();
    }
    if (!storeTaken) {
      storeTaken = true;
      // waits for the open, so that a later take-over of the unit finds the directory unlocked
      Recovery.OpenedStore opened;
      try {
        opened = store.join();
      } catch (CompletionException e) {
        return; // nothing was left open
      }
      opened.close();
    }
  }
}
