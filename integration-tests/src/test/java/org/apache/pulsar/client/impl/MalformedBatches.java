package org.apache.pulsar.client.impl;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.api.proto.MessageMetadata;

/**
 * Stores entries that claim to be batches without holding one, as a producer that does not follow
 * Pulsar's batch format (or damage in storage) would leave them. It sends through the path the
 * geo-replicator uses to forward a stored batch whole, which takes the message's metadata as it is;
 * that path is package-private, hence this package.
 */
public final class MalformedBatches {
  private MalformedBatches() {}

  /**
   * Sends {@code payload} as one entry whose metadata says it is a batch of {@code messages}.
   *
   * @param producer a producer with batching disabled
   */
  public static MessageId send(Producer<byte[]> producer, byte[] payload, int messages)
      throws Exception {
    MessageMetadata metadata = new MessageMetadata();
    metadata.setNumMessagesInBatch(messages);
    MessageImpl<byte[]> message =
        MessageImpl.create(metadata, ByteBuffer.wrap(payload), Schema.BYTES, producer.getTopic());
    return ((ProducerImpl<?>) producer).internalSendAsync(message).get(30, TimeUnit.SECONDS);
  }
}
