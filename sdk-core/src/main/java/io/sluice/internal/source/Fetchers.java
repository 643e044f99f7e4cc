package io.sluice.internal.source;

import io.micrometer.core.instrument.Counter;
import io.sluice.errors.SourceException;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.internal.group.ProcessingGroup.Publish;
import io.sluice.internal.group.RecordBatch;
import io.sluice.source.SourceRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Reader;
import org.apache.pulsar.client.api.ReaderBuilder;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.impl.ReaderImpl;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A few fetcher threads, however many partitions: fetch → decode → publish. Each partition belongs
 * to one fetcher. A fetcher takes what a partition's reader has prefetched without waiting, up to a
 * ring slot's worth, decodes it (so decoding runs in parallel across fetchers) and publishes it to
 * the partition's slot group as one slot; then it goes on to its next partition with records. A
 * partition whose reader has nothing left asks it for the next message ({@code receiveAsync}),
 * whose arrival hands the partition back to its fetcher: an idle partition costs no thread and no
 * polling. A message crosses one thread boundary (client I/O thread → fetcher) before the ring.
 *
 * <p>Publishing never blocks a fetcher: a batch for a full ring waits aside, tried again after a
 * growing pause, while the fetcher serves its other partitions, so a slow slot group holds up only
 * its own partitions. The batch goes through the {@link PublishGate}, so while a regroup runs no
 * record enters any ring.
 */
final class Fetchers {
  private static final Logger LOG = LoggerFactory.getLogger(Fetchers.class);

  /** How long an idle fetcher sleeps before it looks at whether the app is closing. */
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /**
   * The first pause before a batch for a full ring is tried again; each further attempt waits twice
   * as long, up to {@link #FULL_RING_MAX_PARK_NANOS}: with many partitions on one ring, a fixed
   * short pause keeps the fetchers busy retrying and starves the processing thread that would empty
   * it.
   */
  private static final long FULL_RING_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

  private static final long FULL_RING_MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final String app;
  private final PulsarClient client;
  private final int receiverQueueSize;
  private final int size;
  private final ThreadFactory threads;
  private final PublishGate gate;
  private final Consumer<Throwable> onFailure;
  private final Counter readerSwitches;
  private final Predicate<SourcePartition> matchedByPattern;
  private final List<Fetcher> pool = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  Fetchers(
      String app,
      PulsarClient client,
      int receiverQueueSize,
      int size,
      ThreadFactory threads,
      PublishGate gate,
      Consumer<Throwable> onFailure,
      Counter readerSwitches,
      Predicate<SourcePartition> matchedByPattern) {
    this.app = app;
    this.client = client;
    this.receiverQueueSize = receiverQueueSize;
    this.size = size;
    this.threads = threads;
    this.gate = gate;
    this.onFailure = onFailure;
    this.readerSwitches = readerSwitches;
    this.matchedByPattern = matchedByPattern;
  }

  boolean closed() {
    return closed;
  }

  /** A Pulsar Reader of one partition from {@code start}, as the fetchers read. */
  ReaderBuilder<byte[]> newReader(String topic, PartitionStart start) {
    var builder =
        client
            .newReader(Schema.BYTES)
            .topic(topic)
            .startMessageId(start.id())
            .receiverQueueSize(receiverQueueSize)
            .readerName(app + "-reader");
    if (start.inclusive()) {
      builder.startMessageIdInclusive();
    }
    return builder;
  }

  /** Whether {@code topic} is read in whole entries (a non-persistent topic's ids are all 0:0). */
  static boolean readsEntries(boolean entryReads, String topic) {
    return entryReads && TopicName.get(topic).isPersistent();
  }

  /**
   * Hands a partition whose reader exists to the fetcher with the fewest partitions (a new one
   * while there are fewer than the configured number).
   */
  void start(SourcePartition partition) {
    Fetcher fetcher;
    synchronized (pool) {
      if (pool.size() < size) {
        fetcher = new Fetcher();
        pool.add(fetcher);
        fetcher.thread.start();
      } else {
        fetcher = pool.get(0);
        for (Fetcher f : pool) {
          if (f.partitions.get() < fetcher.partitions.get()) {
            fetcher = f;
          }
        }
      }
    }
    fetcher.partitions.incrementAndGet();
    fetcher.ready(partition);
  }

  /** Stops every fetcher, waiting up to 5 s in all. */
  void close() {
    closed = true;
    pool.forEach(f -> LockSupport.unpark(f.thread));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Fetcher f : pool) {
      try {
        f.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What one turn on a partition left it with. */
  private enum Turn {
    /** Its reader may hold more: it goes to the back of its fetcher's queue. */
    MORE,
    /** Its reader had nothing left: it waits for the next message to arrive. */
    DRAINED,
    /** Its batches wait for room in a full ring. */
    STALLED,
    /** It is no longer read (failed, or its group stopped). */
    ENDED
  }

  /**
   * One turn's records of a partition, published a ring slot's worth at a time (each slot decoded
   * just before it goes, so processing starts on the first while the rest wait), then what follows
   * them; kept aside while the ring is full.
   */
  private static final class Pending {
    final SourcePartition partition;
    final List<SourceRecord> records;
    final int slot;
    final Runnable published;
    int next;

    /** The slot decoded but not yet published (the ring was full). */
    RecordBatch decoded;

    long park = FULL_RING_PARK_NANOS;
    long retryAt;

    Pending(SourcePartition partition, List<SourceRecord> records, int slot, Runnable published) {
      this.partition = partition;
      this.records = records;
      this.slot = slot;
      this.published = published;
    }
  }

  /** One fetcher thread and the partitions it reads. */
  private final class Fetcher implements Runnable {
    final Thread thread;
    final AtomicInteger partitions = new AtomicInteger();

    /** Partitions with records to take, in the order they got them. */
    private final Queue<SourcePartition> ready = new ConcurrentLinkedQueue<>();

    /** Records waiting for room in a full ring; only this fetcher's thread touches them. */
    private final List<Pending> stalled = new ArrayList<>();

    Fetcher() {
      thread = threads.newThread(this);
      thread.setDaemon(true);
    }

    /** {@code partition} has records (or an outcome) to take: from any thread. */
    void ready(SourcePartition partition) {
      ready.offer(partition);
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      try {
        loop();
      } catch (RuntimeException | Error e) {
        // outside a turn (a turn's own failures end only its partition): every partition of this
        // fetcher would silently stop being read, so the app fails instead
        if (!closed) {
          onFailure.accept(
              new SourceException(
                  "A fetcher thread of app " + app + " failed: " + e + " (see the cause)", e));
        }
      }
    }

    private void loop() {
      while (!closed) {
        boolean worked = retryStalled();
        // as many turns as partitions were waiting: a partition that has more goes to the back
        for (int turns = ready.size(); turns > 0 && !closed; turns--) {
          SourcePartition partition = ready.poll();
          if (partition == null) {
            break;
          }
          worked = true;
          take(partition);
        }
        if (!worked && ready.isEmpty() && !closed) {
          long park = IDLE_PARK_NANOS;
          for (Pending s : stalled) {
            park = Math.min(park, s.retryAt - System.nanoTime());
          }
          LockSupport.parkNanos(Math.max(1, park));
        }
      }
    }

    /** One turn on {@code partition}: up to a ring slot's worth of records. */
    private void take(SourcePartition partition) {
      Turn turn;
      try {
        turn = partition.entries != null ? fetchEntries(partition) : fetchMessages(partition);
      } catch (PulsarClientException | RuntimeException | Error e) {
        onFetchFailure(partition, e);
        turn = Turn.ENDED;
      }
      after(partition, turn);
    }

    private void after(SourcePartition partition, Turn turn) {
      switch (turn) {
        case MORE -> ready.offer(partition);
        case DRAINED -> awaitNext(partition);
        case STALLED -> {}
        case ENDED -> partitions.decrementAndGet();
      }
    }

    /**
     * Asks the partition's reader for its next message; its arrival (or the reader's failure) hands
     * the partition back to this fetcher, which takes it on its next turn.
     */
    private void awaitNext(SourcePartition partition) {
      CompletableFuture<Message<byte[]>> next;
      if (partition.entries != null) {
        next = partition.entries.receiveAsync();
      } else if (partition.reader instanceof ReaderImpl<byte[]> impl) {
        next = impl.getConsumer().receiveAsync();
      } else {
        next = partition.reader.readNextAsync();
      }
      next.whenComplete(
          (message, failure) -> {
            partition.arrived = message;
            partition.failure = failure;
            ready(partition);
          });
    }

    /**
     * The fetcher of an {@link EntryReader}: takes whole entries (the prefetched ones without
     * waiting, until it has a ring slot's worth of records), splits them and publishes the records,
     * a slot's worth at a time.
     */
    private Turn fetchEntries(SourcePartition partition) throws PulsarClientException {
      EntryReader reader = partition.entries;
      EntrySplitter splitter = partition.splitter;
      Message<byte[]> entry = arrived(partition);
      if (entry == null && (entry = reader.receive(0, TimeUnit.MILLISECONDS)) == null) {
        return Turn.DRAINED;
      }
      Message<byte[]> last = null;
      Message<byte[]> chunk = null;
      int limit = partition.group.maxBatch();
      long maxBytes = partition.group.maxBatchBytes();
      long bytes = 0;
      List<SourceRecord> records = new ArrayList<>(limit);
      do {
        if (splitter.isUnreadChunk(entry)) {
          chunk = entry;
          break;
        }
        reader.taken(entry, splitter.split(entry, records));
        bytes += entry.size();
        last = entry;
      } while (records.size() < limit
          && bytes < maxBytes
          && (entry = reader.receive(0, TimeUnit.MILLISECONDS)) != null);
      Message<byte[]> ack = last;
      Message<byte[]> unreadChunk = chunk;
      // a ring slot holds at most a batch's worth, as with Readers: a big entry takes several
      return publish(
          new Pending(
              partition,
              records,
              limit,
              () -> {
                if (ack != null) {
                  reader.acknowledgeCumulativeAsync(ack.getMessageId());
                }
                if (unreadChunk != null) {
                  switchToReader(partition, unreadChunk);
                }
              }),
          entry == null);
    }

    /**
     * The fetcher of a Reader (with {@code entryReads(false)}): takes the prefetched messages
     * without waiting, up to a ring slot's worth, and publishes them as one slot.
     */
    private Turn fetchMessages(SourcePartition partition) throws PulsarClientException {
      Reader<byte[]> reader = partition.reader;
      // Reader.readNext acknowledges every message on the reader's non-durable cursor; receiving
      // from the reader's own consumer and acknowledging once per batch keeps the same cursor
      // position at a fraction of the bookkeeping.
      org.apache.pulsar.client.api.Consumer<byte[]> direct =
          reader instanceof ReaderImpl<byte[]> impl ? impl.getConsumer() : null;
      Message<byte[]> message = arrived(partition);
      if (message == null && (message = next(reader, direct)) == null) {
        return Turn.DRAINED;
      }
      Message<byte[]> last = message;
      int limit = partition.group.maxBatch();
      long maxBytes = partition.group.maxBatchBytes();
      List<SourceRecord> records = new ArrayList<>(limit);
      records.add(SourceRecord.of(message, partition.topic));
      long bytes = message.size();
      while (records.size() < limit
          && bytes < maxBytes
          && (message = next(reader, direct)) != null) {
        records.add(SourceRecord.of(message, partition.topic));
        bytes += message.size();
        last = message;
      }
      Message<byte[]> ack = last;
      return publish(
          new Pending(
              partition,
              records,
              limit,
              () -> {
                if (direct != null) {
                  direct.acknowledgeCumulativeAsync(ack.getMessageId());
                }
              }),
          message == null);
    }

    /**
     * Publishes a turn's records, a slot at a time, then runs what follows them; what cannot go now
     * (a full ring) waits aside and is tried again on later turns. {@code drained}: the reader had
     * nothing left, so once all is published the partition waits for its next message.
     */
    private Turn publish(Pending pending, boolean drained) {
      Turn turn = publishPending(pending);
      if (turn == Turn.STALLED) {
        pending.retryAt = System.nanoTime() + pending.park;
        stalled.add(pending);
      }
      return turn == Turn.MORE && drained ? Turn.DRAINED : turn;
    }

    private Turn publishPending(Pending pending) {
      SourcePartition partition = pending.partition;
      while (pending.decoded != null || pending.next < pending.records.size()) {
        if (pending.decoded == null) {
          int to = Math.min(pending.records.size(), pending.next + pending.slot);
          pending.decoded = decode(partition, pending.records.subList(pending.next, to));
          pending.next = to;
        }
        Publish result = gate.tryPublish(() -> partition.group, pending.decoded);
        if (result == Publish.FULL && !closed) {
          return Turn.STALLED;
        }
        if (result != Publish.PUBLISHED) {
          if (!closed) {
            // its slot group stopped while the ring was full: the app is stopping
            onFailure.accept(
                new SourceException(
                    "The slot group of " + partition.topic + " stopped while it was read"));
          }
          return Turn.ENDED;
        }
        pending.decoded = null;
      }
      pending.published.run();
      return Turn.MORE;
    }

    /** Tries the records waiting for room whose pause is over; whether any went. */
    private boolean retryStalled() {
      boolean moved = false;
      long now = System.nanoTime();
      for (int i = 0; i < stalled.size(); i++) {
        Pending s = stalled.get(i);
        if (s.retryAt - now > 0 && !closed) {
          continue;
        }
        Turn turn;
        try {
          turn = publishPending(s);
        } catch (RuntimeException | Error e) {
          onFetchFailure(s.partition, e);
          turn = Turn.ENDED;
        }
        if (turn == Turn.STALLED) {
          s.park = Math.min(s.park * 2, FULL_RING_MAX_PARK_NANOS);
          s.retryAt = System.nanoTime() + s.park;
          continue;
        }
        stalled.remove(i--);
        moved = true;
        after(s.partition, turn);
      }
      return moved;
    }
  }

  /**
   * The message whose arrival handed {@code partition} back to its fetcher (taken once), or null;
   * throws what ended the wait instead (e.g. the reader was closed).
   */
  private static Message<byte[]> arrived(SourcePartition partition) throws PulsarClientException {
    Throwable failure = partition.failure;
    if (failure != null) {
      partition.failure = null;
      Throwable cause =
          failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause()
              : failure;
      if (cause instanceof PulsarClientException e) {
        throw e;
      }
      throw new SourceException("Reading " + partition.topic + " failed: " + cause, cause);
    }
    Message<byte[]> message = partition.arrived;
    partition.arrived = null;
    return message;
  }

  /**
   * Hands a partition whose entry reader met a chunked message to a Pulsar Reader, which joins
   * chunks: it starts right after the last entry split, so nothing is read twice or skipped.
   */
  private void switchToReader(SourcePartition partition, Message<byte[]> chunk) {
    PartitionStart resume = partition.splitter.resume(TopicName.getPartitionIndex(partition.topic));
    LOG.warn(
        "[{}] {} holds a chunked message (a chunk at {}); whole entries cannot join chunks, so a"
            + " Pulsar Reader reads the partition from {} on",
        app,
        partition.topic,
        chunk.getMessageId(),
        resume.id());
    try {
      partition.reader = newReader(partition.topic, resume).create();
    } catch (PulsarClientException e) {
      throw new SourceException(
          "Cannot open a Reader on " + partition.topic + " to read its chunked messages: " + e, e);
    }
    EntryReader entries = partition.entries;
    partition.entries = null;
    entries.closeAsync();
    readerSwitches.increment();
  }

  private static Message<byte[]> next(
      Reader<byte[]> reader, org.apache.pulsar.client.api.Consumer<byte[]> direct)
      throws PulsarClientException {
    return direct != null
        ? direct.receive(0, TimeUnit.MILLISECONDS)
        : reader.readNext(0, TimeUnit.MILLISECONDS);
  }

  /** Decodes {@code records} into one batch of the partition's. */
  private static RecordBatch decode(SourcePartition partition, List<SourceRecord> records) {
    int n = records.size();
    RecordBatch batch = new RecordBatch(partition.input, n);
    for (int i = 0; i < n; i++) {
      partition.decoder.fill(batch, i, records.get(i));
    }
    return batch;
  }

  /**
   * A fetcher ended on {@code e}: the partition can no longer be read, so the app fails (unless it
   * is stopping, or a topic matched by a pattern was deleted). Besides reads, e.g. an Error from a
   * user decoder (decoders' exceptions are bad records) or a batch that cannot be split: the
   * partition would otherwise silently stop being read while the app kept checkpointing.
   */
  private void onFetchFailure(SourcePartition partition, Throwable e) {
    if (closed) {
      return;
    }
    if (!(e instanceof PulsarClientException)) {
      onFailure.accept(
          e instanceof SourceException se
              ? se
              : new SourceException(
                  "The fetcher of " + partition.topic + " failed: " + e + " (see the cause)", e));
    } else if (e instanceof PulsarClientException.AlreadyClosedException
        && matchedByPattern.test(partition)) {
      // a topic matching a pattern may be deleted on purpose: the others go on
      LOG.warn(
          "[{}] the reader of {} was closed by the broker (topic deleted?); it is no longer read:"
              + " {}",
          app,
          partition.topic,
          e.toString());
    } else if (e instanceof PulsarClientException.AlreadyClosedException) {
      // not closed by us: the broker closed it for good (e.g. the topic was deleted); returning
      // quietly would leave the partition unread for ever
      onFailure.accept(
          new SourceException(
              "The reader of "
                  + partition.topic
                  + " was closed by the broker (was the topic deleted?); the partition can no"
                  + " longer be read: "
                  + e,
              e));
    } else {
      onFailure.accept(new SourceException("Reading " + partition.topic + " failed: " + e, e));
    }
  }
}
