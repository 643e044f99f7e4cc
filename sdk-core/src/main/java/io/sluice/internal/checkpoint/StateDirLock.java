package io.sluice.internal.checkpoint;

import io.sluice.errors.StateException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One owner per state directory: an exclusive OS file lock on {@code <stateDir>/sluice.lock}, taken
 * before the state store is opened and held until the app has stopped. A second app (in this
 * process or another, on this host or through a shared volume whose file system honours locks) is
 * refused before it touches anything, instead of finding the store locked by RocksDB, taking it for
 * damaged and moving the live store aside. The file names its holder for the error message; the
 * lock itself, not the file, is what counts, so a holder killed with SIGKILL leaves nothing to
 * clean up (the OS releases its lock).
 */
public final class StateDirLock implements AutoCloseable {
  static final String FILE = "sluice.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private StateDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code stateDir} for {@code app}; fails naming the holder if another app has
   * it.
   */
  public static StateDirLock acquire(Path stateDir, String app) {
    Path file = stateDir.resolve(FILE);
    FileChannel channel;
    try {
      Files.createDirectories(stateDir);
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new StateException(
          "Cannot open the lock file "
              + file
              + " of the state directory ("
              + e.getMessage()
              + "). Check that sluice.state.dir is a writable directory.",
          e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by another app in this process
    } catch (IOException e) {
      close(channel);
      throw new StateException("Cannot lock " + file + ": " + e.getMessage(), e);
    }
    if (lock == null) {
      String holder = holder(channel);
      close(channel);
      throw new StateException(
          "The state directory "
              + stateDir
              + " is in use by another running instance"
              + (holder.isEmpty() ? "" : " (" + holder + ")")
              + ". Each instance of an app needs a state directory of its own: give this one"
              + " another sluice.state.dir (e.g. one persistent volume per replica), or stop the"
              + " other instance first. Nothing in the directory was changed.");
    }
    try {
      byte[] me =
          ("app "
                  + app
                  + ", pid "
                  + ProcessHandle.current().pid()
                  + ", since "
                  + Instant.now()
                  + "\n")
              .getBytes(StandardCharsets.UTF_8);
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(me), 0);
      channel.force(false);
    } catch (IOException e) {
      // the lock is what counts; the note is for error messages only
    }
    return new StateDirLock(channel, lock);
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer buf = ByteBuffer.allocate(512);
      int n = channel.read(buf, 0);
      return n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing held
    }
  }

  /** Releases the lock (idempotent). */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } catch (IOException e) {
      // closing the channel releases it too
    }
    close(channel);
  }
}
