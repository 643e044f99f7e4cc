package io.sluice.internal.source;

import io.micrometer.core.instrument.Counter;
import io.sluice.errors.SourceException;
import io.sluice.internal.checkpoint.PartitionStart;
import io.sluice.internal.group.ProcessingGroup;
import io.sluice.internal.group.RecordBatch;
import io.sluice.source.SourceRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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
 * One fetcher thread per partition: fetch → decode → publish. It takes what the partition's reader
 * has prefetched without waiting, up to a ring slot's worth, decodes it on its own thread (so
 * decoding runs in parallel across partitions) and publishes it to the partition's slot group as
 * one slot, blocking while the ring is full. A message crosses one thread boundary (client I/O
 * thread → fetcher) before the ring.
 *
 * <p>Publishing goes through the {@link PublishGate}, so while a regroup runs no record enters any
 * ring, and a fetcher waiting for room in a full ring never holds a regroup up.
 */
final class Fetchers {
  private static final Logger LOG = LoggerFactory.getLogger(Fetchers.class);

  private final String app;
  private final PulsarClient client;
  private final int receiverQueueSize;
  private final ThreadFactory threads;
  private final PublishGate gate;
  private final Consumer<Throwable> onFailure;
  private final Counter readerSwitches;
  private final Predicate<SourcePartition> matchedByPattern;
  private final List<Thread> running = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  Fetchers(
      String app,
      PulsarClient client,
      int receiverQueueSize,
      ThreadFactory threads,
      PublishGate gate,
      Consumer<Throwable> onFailure,
      Counter readerSwitches,
      Predicate<SourcePartition> matchedByPattern) {
    this.app = app;
    this.client = client;
    this.receiverQueueSize = receiverQueueSize;
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

  void start(SourcePartition partition) {
    Thread fetcher =
        threads.newThread(
            partition.entries != null
                ? () -> fetchEntries(partition)
                : () -> fetchMessages(partition));
    fetcher.setDaemon(true);
    running.add(fetcher);
    fetcher.start();
  }

  /** Stops every fetcher, waiting up to 5 s in all (one stuck on a full ring must not hold all). */
  void close() {
    closed = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Thread t : running) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The fetcher of an {@link EntryReader}: takes whole entries (the prefetched ones without
   * waiting, until it has a ring slot's worth of records), splits them and publishes the records, a
   * slot's worth at a time.
   */
  private void fetchEntries(SourcePartition partition) {
    EntryReader reader = partition.entries;
    EntrySplitter splitter = partition.splitter;
    List<SourceRecord> records = new ArrayList<>(ProcessingGroup.MAX_BATCH);
    while (!closed) {
      try {
        Message<byte[]> entry = reader.receive(100, TimeUnit.MILLISECONDS);
        if (entry == null) {
          continue;
        }
        Message<byte[]> last = null;
        boolean chunk = false;
        int limit = partition.group.maxBatch();
        long maxBytes = partition.group.maxBatchBytes();
        long bytes = 0;
        do {
          if (splitter.isUnreadChunk(entry)) {
            chunk = true;
            break;
          }
          reader.taken(entry, splitter.split(entry, records));
          bytes += entry.size();
          last = entry;
        } while (records.size() < limit
            && bytes < maxBytes
            && (entry = reader.receive(0, TimeUnit.MILLISECONDS)) != null);
        // a ring slot holds at most a batch's worth, as with Readers: a big entry takes several
        // (the processing thread starts on its first records while the rest are decoded)
        for (int from = 0; from < records.size(); from += limit) {
          if (!publish(partition, records.subList(from, Math.min(records.size(), from + limit)))) {
            return;
          }
        }
        records.clear();
        if (last != null) {
          reader.acknowledgeCumulativeAsync(last.getMessageId());
        }
        if (chunk) {
          switchToReader(partition, entry);
          fetchMessages(partition);
          return;
        }
      } catch (PulsarClientException | RuntimeException | Error e) {
        onFetchFailure(partition, e);
        return;
      }
    }
  }

  /**
   * Hands a partition whose entry reader met a chunked message to a Pulsar Reader, which joins
   * chunks: it starts right after the last entry split, so nothing is read twice or skipped.
   */
  private void switchToReader(SourcePartition partition, Message<byte[]> chunk)
      throws PulsarClientException {
    PartitionStart resume = partition.splitter.resume(TopicName.getPartitionIndex(partition.topic));
    LOG.warn(
        "[{}] {} holds a chunked message (a chunk at {}); whole entries cannot join chunks, so a"
            + " Pulsar Reader reads the partition from {} on",
        app,
        partition.topic,
        chunk.getMessageId(),
        resume.id());
    partition.reader = newReader(partition.topic, resume).create();
    EntryReader entries = partition.entries;
    partition.entries = null;
    entries.closeAsync();
    readerSwitches.increment();
  }

  /**
   * The fetcher of a Reader (with {@code entryReads(false)}): takes the prefetched messages without
   * waiting, up to a ring slot's worth, and publishes them as one slot.
   */
  private void fetchMessages(SourcePartition partition) {
    Reader<byte[]> reader = partition.reader;
    // Reader.readNext acknowledges every message on the reader's non-durable cursor; receiving
    // from the reader's own consumer and acknowledging once per batch keeps the same cursor
    // position at a fraction of the bookkeeping.
    org.apache.pulsar.client.api.Consumer<byte[]> direct =
        reader instanceof ReaderImpl<byte[]> impl ? impl.getConsumer() : null;
    List<SourceRecord> batch = new ArrayList<>(ProcessingGroup.MAX_BATCH);
    while (!closed) {
      try {
        Message<byte[]> message = next(reader, direct, 100);
        if (message == null) {
          continue;
        }
        Message<byte[]> last = message;
        batch.add(SourceRecord.of(message, partition.topic));
        int limit = partition.group.maxBatch();
        long maxBytes = partition.group.maxBatchBytes();
        long bytes = message.size();
        while (batch.size() < limit
            && bytes < maxBytes
            && (message = next(reader, direct, 0)) != null) {
          batch.add(SourceRecord.of(message, partition.topic));
          bytes += message.size();
          last = message;
        }
        if (!publish(partition, batch)) {
          return;
        }
        if (direct != null) {
          direct.acknowledgeCumulativeAsync(last.getMessageId());
        }
        batch.clear();
      } catch (PulsarClientException | RuntimeException | Error e) {
        onFetchFailure(partition, e);
        return;
      }
    }
  }

  private static Message<byte[]> next(
      Reader<byte[]> reader, org.apache.pulsar.client.api.Consumer<byte[]> direct, int millis)
      throws PulsarClientException {
    return direct != null
        ? direct.receive(millis, TimeUnit.MILLISECONDS)
        : reader.readNext(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Decodes {@code records} into one batch and publishes it to the partition's slot group; false
   * (the fetcher ends) if the group stopped while its ring was full.
   */
  private boolean publish(SourcePartition partition, List<SourceRecord> records) {
    int n = records.size();
    RecordBatch batch = new RecordBatch(partition.input, n);
    for (int i = 0; i < n; i++) {
      partition.decoder.fill(batch, i, records.get(i));
    }
    boolean published = gate.publish(() -> partition.group, batch, () -> closed);
    if (!published && !closed) {
      // its slot group stopped while the ring was full: the app is stopping
      onFailure.accept(
          new SourceException(
              "The slot group of " + partition.topic + " stopped while it was read"));
    }
    return published;
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
