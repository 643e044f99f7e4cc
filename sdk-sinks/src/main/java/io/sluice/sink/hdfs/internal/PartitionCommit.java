package io.sluice.sink.hdfs.internal;

import java.time.Duration;

/**
 * Settings of success markers (partition commit): a time partition gets a {@code _SUCCESS} file
 * once every writer's event-time watermark has passed its end and the checkpoint that saw it has
 * committed. See {@link SuccessMarkers} for the protocol.
 *
 * @param buckets the time buckets (they say where each partition ends)
 * @param maxOutOfOrderness a writer's watermark trails the largest event time it wrote by this
 * @param idleTimeout a writer that wrote nothing for this long stops holding partitions open
 */
public record PartitionCommit<T>(
    TimeBuckets<T> buckets, Duration maxOutOfOrderness, Duration idleTimeout) {}
