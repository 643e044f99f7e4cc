package io.sluice.internal.source;

import io.sluice.internal.group.ProcessingGroup;
import io.sluice.internal.group.ProcessingGroup.Publish;
import io.sluice.internal.group.RecordBatch;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
  /**
   * How long a fetcher first waits before trying a full ring again; each further attempt waits
   * twice as long, up to {@link #FULL_RING_MAX_PARK_NANOS}. With hundreds of fetchers on one ring,
   * a fixed short wait keeps them all runnable and starves the processing thread that would empty
   * it.
   */
  private static final long FULL_RING_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  private static final long FULL_RING_MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  /**
   * Publishes {@code batch} to the group {@code target} names at each attempt (a regroup may change
   * it meanwhile), waiting while the ring is full. Returns false, having published nothing, once
   * the group stops or {@code giveUp} says so.
   */
  boolean publish(Supplier<ProcessingGroup> target, RecordBatch batch, BooleanSupplier giveUp) {
    long park = FULL_RING_PARK_NANOS;
    while (true) {
      Publish result;
      lock.readLock().lock();
      try {
        result = target.get().tryPublish(batch);
      } finally {
        lock.readLock().unlock();
      }
      if (result == Publish.PUBLISHED) {
        return true;
      }
      if (result == Publish.STOPPED || giveUp.getAsBoolean()) {
        return false;
      }
      LockSupport.parkNanos(park);
      park = Math.min(park * 2, FULL_RING_MAX_PARK_NANOS);
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
