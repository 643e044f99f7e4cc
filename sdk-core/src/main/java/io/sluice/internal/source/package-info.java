/**
 * The read side: which partitions exist ({@code PartitionLister}, also for discovery), one reader
 * per partition with a non-durable cursor started at its planned position, and a few fetcher
 * threads ({@code Fetchers}, however many partitions) that take what the readers prefetched, decode
 * it ({@code PartitionDecoder}) and publish it to each partition's slot group. A partition with
 * nothing prefetched waits for its next message without holding a thread.
 *
 * <p>Entry reads (the default): {@code EntryReader} is the Reader's own non-durable consumer with a
 * payload processor that hands each stored entry (a producer's batch) over whole; {@code
 * EntrySplitter} parses the batch format and names each record by the id the client would give it;
 * {@code ReadFloor} skips what was read before (a start inside an entry, an entry delivered again
 * after a reconnection). A partition where a chunked message turns up is handed to a Pulsar Reader
 * from right after the last entry split. Flow control stays per message.
 *
 * <p>Regrouping holds the write side of the source's gate; fetchers publish holding the read side.
 */
package io.sluice.internal.source;
