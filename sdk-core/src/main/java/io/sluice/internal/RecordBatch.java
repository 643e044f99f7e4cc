package io.sluice.internal;

import org.apache.pulsar.client.api.MessageId;

/**
 * Records of one partition that a fetcher read in one go, decoded, and hands to its slot group's
 * ring as one slot: the ring's per-event costs (a claim, a slot written by one core and read by
 * another, the processing thread's bookkeeping) are paid per batch instead of per record. Written
 * only by the fetcher before it publishes the slot; read only by the processing thread after.
 */
final class RecordBatch {
  final PartitionRef partition;
  final int size;
  final MessageId[] ids;
  final long[] publishTimes;
  final long[] eventTimes;

  /** The decoded values (or the records themselves when the source has no decoder). */
  final Object[] values;

  /** Why decoding a record failed, or null. */
  final Throwable[] decodeErrors;

  RecordBatch(PartitionRef partition, int size) {
    this.partition = partition;
    this.size = size;
    this.ids = new MessageId[size];
    this.publishTimes = new long[size];
    this.eventTimes = new long[size];
    this.values = new Object[size];
    this.decodeErrors = new Throwable[size];
  }
}
