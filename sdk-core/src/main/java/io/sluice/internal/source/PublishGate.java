package io.sluice.internal.source;

import io.sluice.internal.group.ProcessingGroup;
import io.sluice.internal.group.ProcessingGroup.Publish;
import io.sluice.internal.group.RecordBatch;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Keeps records out of the rings while the slot groups are replaced (regrouping). Fetchers publish
 * holding the read side, one non-blocking attempt at a time: while a ring is full they wait with
 * the gate released, so a processing thread that is stuck (its ring full for good) cannot keep a
 * regroup, and behind it every other group, waiting for the write side. The regroup itself waits
 * for the write side at most a given patience.
 */
final class PublishGate {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  /**
   * One attempt to publish {@code batch} to the group {@code target} names now (a regroup may
   * change it between attempts); never waits for room in the ring.
   */
  Publish tryPublish(Supplier<ProcessingGroup> target, RecordBatch batch) {
    lock.readLock().lock();
    try {
      return target.get().tryPublish(batch);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Runs {@code routing} (which picks a partition's group) while no regroup runs. */
  <T> T routed(Supplier<T> routing) {
    lock.readLock().lock();
    try {
      return routing.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Runs {@code action} while no fetcher publishes and no partition is routed; false, without
   * running it, if that could not be had within {@code patience}.
   */
  boolean paused(BooleanSupplier action, Duration patience) {
    boolean locked;
    try {
      locked = lock.writeLock().tryLock(patience.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (!locked) {
      return false;
    }
    try {
      return action.getAsBoolean();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
