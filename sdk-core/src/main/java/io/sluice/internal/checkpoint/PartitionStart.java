package io.sluice.internal.checkpoint;

import io.sluice.state.RecoveryLayer;
import org.apache.pulsar.client.api.MessageId;

/**
 * Where a partition's reader starts.
 *
 * @param id the message id
 * @param inclusive whether {@code id} itself is read ({@code false}: read after it)
 * @param layer which recovery layer supplied it
 */
public record PartitionStart(MessageId id, boolean inclusive, RecoveryLayer layer) {}
