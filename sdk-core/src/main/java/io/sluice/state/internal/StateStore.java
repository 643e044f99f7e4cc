package io.sluice.state.internal;

import io.sluice.errors.StateException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The local RocksDB of one Sluice app: checkpoint records, keyed state, and the handles of sink
 * transactions opened since the last checkpoint.
 *
 * <pre>
 * column family   key                         value
 * checkpoints     checkpoint id (8 bytes BE)  {@link CheckpointRecord#encode()}
 * state           state name + key (+ map key) serialised value
 * pending         sink name + sequence        sink handle (e.g. a transaction id)
 * </pre>
 *
 * <p>Keyed state reaches RocksDB only inside {@link #commitCheckpoint}: one synced write batch with
 * the checkpoint record, so the state on disk is always exactly the state of the newest checkpoint.
 * The WAL is replayed with absolute consistency: a damaged log fails {@link #open} (and the caller
 * falls back to the durable cursor) rather than silently rolling back to an older checkpoint, which
 * would let sinks see already-committed output again.
 *
 * <p>Thread-safety: RocksDB is thread-safe; the checkpoint coordinator writes, processing threads
 * read state, and sink writers may register pending handles from any thread. After {@link #close}
 * every method throws {@link StateException} ({@link #approximateSizeBytes} returns -1).
 */
public final class StateStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte[] CF_CHECKPOINTS = "checkpoints".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CF_STATE = "state".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CF_PENDING = "pending".getBytes(StandardCharsets.UTF_8);

  private final Path dir;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle checkpoints;
  private final ColumnFamilyHandle state;
  private final ColumnFamilyHandle pending;
  private final WriteOptions syncWrite;
  private final ReadOptions verifiedRead;

  /**
   * RocksJava frees a closed object's native memory and does not check it again: a call after
   * {@link #close} would read freed memory (typically crashing the JVM). Every call holds the read
   * side and checks {@link #closed}; close holds the write side.
   */
  private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();

  private boolean closed;

  private StateStore(
      Path dir,
      RocksDB db,
      DBOptions dbOptions,
      ColumnFamilyOptions cfOptions,
      List<ColumnFamilyHandle> handles) {
    this.dir = dir;
    this.db = db;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.handles = handles;
    this.checkpoints = handles.get(1);
    this.state = handles.get(2);
    this.pending = handles.get(3);
    this.syncWrite = new WriteOptions().setSync(true);
    this.verifiedRead = new ReadOptions().setVerifyChecksums(true);
  }

  /**
   * Opens (or creates) the store in {@code dir}.
   *
   * @throws StateException if the directory cannot be created or the database is damaged
   */
  public static StateStore open(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (Exception e) {
      throw new StateException(
          "Cannot create state directory "
              + dir
              + ": "
              + e.getMessage()
              + ". Choose a writable"
              + " directory for sluice.state.dir.",
          e);
    }
    DBOptions options =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setParanoidChecks(true)
            .setWalRecoveryMode(WALRecoveryMode.AbsoluteConsistency)
            .setMaxBackgroundJobs(2)
            .setKeepLogFileNum(3);
    // Bloom filters: most keyed-state reads of a new key/window miss; let them skip SST files.
    ColumnFamilyOptions cfOptions =
        new ColumnFamilyOptions()
            .optimizeLevelStyleCompaction()
            .setTableFormatConfig(
                new BlockBasedTableConfig()
                    .setFilterPolicy(new BloomFilter(10, false))
                    .setWholeKeyFiltering(true));
    List<ColumnFamilyDescriptor> descriptors =
        List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
            new ColumnFamilyDescriptor(CF_CHECKPOINTS, cfOptions),
            new ColumnFamilyDescriptor(CF_STATE, cfOptions),
            new ColumnFamilyDescriptor(CF_PENDING, cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles);
      return new StateStore(dir, db, options, cfOptions, handles);
    } catch (RocksDBException e) {
      options.close();
      cfOptions.close();
      throw new StateException("Cannot open the state store in " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  /**
   * The newest checkpoint.
   *
   * @throws StateException if it cannot be read or fails its checksum
   */
  public Optional<CheckpointRecord> latestCheckpoint() {
    enter();
    try (RocksIterator it = db.newIterator(checkpoints, verifiedRead)) {
      it.seekToLast();
      if (!it.isValid()) {
        it.status();
        return Optional.empty();
      }
      return Optional.of(CheckpointRecord.decode(it.value()));
    } catch (RocksDBException | IllegalArgumentException e) {
      throw new StateException(
          "The newest checkpoint in " + dir + " is damaged: " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** Ids of the checkpoints kept (oldest first). */
  public List<Long> checkpointIds() {
    enter();
    try {
      List<Long> ids = new ArrayList<>();
      try (RocksIterator it = db.newIterator(checkpoints)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          ids.add(ByteBuffer.wrap(it.key()).getLong());
        }
      }
      return ids;
    } finally {
      exit();
    }
  }

  /**
   * Completes a checkpoint: one atomic, synced batch with the record, the keyed-state changes
   * (applied in order) and the removal of checkpoints older than the newest {@code retain}.
   */
  public void commitCheckpoint(CheckpointRecord record, List<StateDelta> deltas, int retain) {
    enter();
    try (WriteBatch batch = new WriteBatch()) {
      for (StateDelta delta : deltas) {
        for (Map.Entry<Bytes, byte[]> change : delta.changes().entrySet()) {
          if (change.getValue() == StateDelta.TOMBSTONE) {
            batch.delete(state, change.getKey().get());
          } else {
            batch.put(state, change.getKey().get(), change.getValue());
          }
        }
      }
      batch.put(checkpoints, longKey(record.id()), record.encode());
      long oldestKept = record.id() - retain + 1;
      if (oldestKept > 0) {
        batch.deleteRange(checkpoints, longKey(0), longKey(oldestKept));
      }
      db.write(syncWrite, batch);
    } catch (RocksDBException e) {
      throw new StateException(
          "Cannot write checkpoint " + record.id() + " to " + dir + ": " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /**
   * Replaces every checkpoint and all keyed state with {@code record} and {@code all} (one atomic,
   * synced batch): the directory takes over a checkpoint written elsewhere. Pending sink handles
   * stay, so recovery still ends them.
   */
  public void replaceState(CheckpointRecord record, Map<Bytes, byte[]> all) {
    enter();
    try (WriteBatch batch = new WriteBatch()) {
      // a key begins with a namespace (0x00), a scope marker (0x01) or a name length (0x00)
      batch.deleteRange(state, new byte[0], new byte[] {(byte) 0xFF});
      batch.deleteRange(checkpoints, longKey(0), longKey(Long.MAX_VALUE));
      for (Map.Entry<Bytes, byte[]> e : all.entrySet()) {
        batch.put(state, e.getKey().get(), e.getValue());
      }
      batch.put(checkpoints, longKey(record.id()), record.encode());
      db.write(syncWrite, batch);
    } catch (RocksDBException e) {
      throw new StateException(
          "Cannot write checkpoint " + record.id() + " to " + dir + ": " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** The stored value of a keyed-state entry as of the newest checkpoint, or {@code null}. */
  public byte[] getState(byte[] key) {
    enter();
    try {
      return db.get(state, key);
    } catch (RocksDBException e) {
      throw new StateException("Cannot read state from " + dir + ": " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** Every stored keyed-state entry whose key starts with {@code prefix}. */
  public Map<Bytes, byte[]> scanState(byte[] prefix) {
    enter();
    try {
      Map<Bytes, byte[]> out = new LinkedHashMap<>();
      try (RocksIterator it = db.newIterator(state)) {
        for (it.seek(prefix); it.isValid(); it.next()) {
          Bytes key = new Bytes(it.key());
          if (!key.startsWith(prefix)) {
            break;
          }
          out.put(key, it.value());
        }
      }
      return out;
    } finally {
      exit();
    }
  }

  private static final byte[] COMMITTED_THROUGH =
      "committed-through".getBytes(StandardCharsets.UTF_8);

  /**
   * Records that the output of checkpoint {@code id}, and of every checkpoint before it, is
   * committed (not synced: a record lost in a machine crash only makes recovery commit again what
   * is already committed, which commits allow).
   */
  public void markCommitted(long id) {
    enter();
    try {
      db.put(handles.get(0), COMMITTED_THROUGH, longKey(id));
    } catch (RocksDBException e) {
      throw new StateException(
          "Cannot record that checkpoint " + id + " is committed in " + dir + ": " + e.getMessage(),
          e);
    } finally {
      exit();
    }
  }

  /** The newest checkpoint whose output is known to be committed, or 0. */
  public long committedThrough() {
    enter();
    try {
      byte[] v = db.get(handles.get(0), COMMITTED_THROUGH);
      return v == null ? 0 : ByteBuffer.wrap(v).getLong();
    } catch (RocksDBException e) {
      throw new StateException("Cannot read " + dir + ": " + e.getMessage(), e);
    } finally {
      exit();
    }
  }

  /** Durably records a handle a sink is about to write into (synced before returning). */
  public void putPending(String sink, long sequence, byte[] handle) {
    enter();
    try {
      db.put(pending, syncWrite, pendingKey(sink, sequence), handle);
    } catch (RocksDBException e) {
      throw new StateException(
          "Cannot record a pending handle of sink " + sink + " in " + dir + ": " + e.getMessage(),
          e);
    } finally {
      exit();
    }
  }

  /** A durably recorded sink handle. */
  public record PendingHandle(String sink, long sequence, byte[] handle) {}

  /** Every pending handle, in the order recorded per sink. */
  public List<PendingHandle> pending() {
    enter();
    try {
      List<PendingHandle> out = new ArrayList<>();
      try (RocksIterator it = db.newIterator(pending)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          ByteBuffer key = ByteBuffer.wrap(it.key());
          byte[] name = new byte[key.getShort()];
          key.get(name);
          out.add(
              new PendingHandle(
                  new String(name, StandardCharsets.UTF_8), key.getLong(), it.value()));
        }
      }
      return out;
    } finally {
      exit();
    }
  }

  /** Removes pending handles once their outcome (commit or abort) is durable elsewhere. */
  public void removePending(List<PendingHandle> done) {
    enter();
    try {
      if (done.isEmpty()) {
        return;
      }
      try (WriteBatch batch = new WriteBatch()) {
        for (PendingHandle h : done) {
          batch.delete(pending, pendingKey(h.sink(), h.sequence()));
        }
        db.write(syncWrite, batch);
      } catch (RocksDBException e) {
        throw new StateException(
            "Cannot remove pending handles in " + dir + ": " + e.getMessage(), e);
      }
    } finally {
      exit();
    }
  }

  private static byte[] pendingKey(String sink, long sequence) {
    byte[] name = sink.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + name.length + 8)
        .putShort((short) name.length)
        .put(name)
        .putLong(sequence)
        .array();
  }

  private static byte[] longKey(long id) {
    return ByteBuffer.allocate(Long.BYTES).putLong(id).array();
  }

  /** Approximate on-disk size of the live SST files and logs, for the checkpoint-size metric. */
  public long approximateSizeBytes() {
    guard.readLock().lock();
    try {
      if (closed) {
        return -1;
      }
      return Long.parseLong(db.getProperty("rocksdb.total-sst-files-size"))
          + Long.parseLong(db.getProperty("rocksdb.cur-size-all-mem-tables"));
    } catch (RocksDBException | NumberFormatException e) {
      return -1;
    } finally {
      guard.readLock().unlock();
    }
  }

  /** Closes the database once calls in progress have returned. Idempotent. */
  @Override
  public void close() {
    guard.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      syncWrite.close();
      verifiedRead.close();
      dbOptions.close();
      cfOptions.close();
    } finally {
      guard.writeLock().unlock();
    }
  }

  private void enter() {
    guard.readLock().lock();
    if (closed) {
      guard.readLock().unlock();
      throw new StateException(
          "The state store in " + dir + " is closed: the app using it has stopped");
    }
  }

  private void exit() {
    guard.readLock().unlock();
  }
}
