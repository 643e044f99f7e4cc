/**
 * The read side: which partitions exist ({@code PartitionLister}, also for discovery), one reader
 * per partition with a non-durable cursor started at its planned position, and one fetcher thread
 * per partition ({@code Fetchers}) that takes what the reader prefetched, decodes it ({@code
 * PartitionDecoder}) and publishes it to the partition's slot group.
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
