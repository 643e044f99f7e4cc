package io.sluice.internal.source;

import io.sluice.internal.group.InputPartition;
import io.sluice.internal.group.ProcessingGroup;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Reader;

/**
 * The source side of one partition being read: its reader (non-durable cursor), its decoder and the
 * slot group it feeds. Only its fetcher reads from the reader; {@link #group} changes only while
 * the fetchers are paused (regrouping).
 */
final class SourcePartition {
  final InputPartition input;
  final String topic;
  final String subscription;
  final PartitionDecoder decoder;

  /** The slot group fed by this partition; changes only while the fetchers are paused. */
  volatile ProcessingGroup group;

  /** The partition's reader: a Reader, or an {@link EntryReader} (then with its splitter). */
  volatile Reader<byte[]> reader;

  volatile EntryReader entries;
  EntrySplitter splitter;

  /**
   * The message whose arrival handed the partition back to its fetcher, or what ended the wait for
   * it; set by a client thread before the hand-over, taken by the fetcher.
   */
  volatile Message<byte[]> arrived;

  volatile Throwable failure;

  SourcePartition(
      InputPartition input, String subscription, PartitionDecoder decoder, ProcessingGroup group) {
    this.input = input;
    this.topic = input.topic();
    this.subscription = subscription;
    this.decoder = decoder;
    this.group = group;
  }

  /** Closes the partition's reader, whichever kind it is (done at once if there is none). */
  CompletableFuture<Void> closeReader() {
    if (entries != null) {
      return entries.closeAsync();
    }
    return reader != null ? reader.closeAsync() : CompletableFuture.completedFuture(null);
  }

  @Override
  public String toString() {
    return topic;
  }
}
