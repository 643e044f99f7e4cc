package io.sluice.source;

import java.util.Map;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;

/**
 * One message read from a partition, as handed to the first operator. Valid only during the call
 * that received it (do not keep it; copy what you need).
 */
public final class SourceRecord {
  private final Message<byte[]> message;
  private final String partitionTopic;

  public SourceRecord(Message<byte[]> message, String partitionTopic) {
    this.message = message;
    this.partitionTopic = partitionTopic;
  }

  /** The partition's topic name, e.g. {@code persistent://public/default/orders-partition-3}. */
  public String partitionTopic() {
    return partitionTopic;
  }

  /** The topic without the partition suffix. */
  public String topic() {
    int i = partitionTopic.lastIndexOf("-partition-");
    return i < 0 ? partitionTopic : partitionTopic.substring(0, i);
  }

  public MessageId messageId() {
    return message.getMessageId();
  }

  /** The message key, or {@code null}. */
  public String key() {
    return message.hasKey() ? message.getKey() : null;
  }

  /** The payload; never {@code null} (an empty payload is an empty array). */
  public byte[] value() {
    byte[] v = message.getValue();
    return v == null ? new byte[0] : v;
  }

  public long publishTime() {
    return message.getPublishTime();
  }

  /** The event time set by the producer, or the publish time if none was set. */
  public long eventTime() {
    long t = message.getEventTime();
    return t > 0 ? t : message.getPublishTime();
  }

  public Map<String, String> properties() {
    return message.getProperties();
  }

  @Override
  public String toString() {
    return "SourceRecord{" + partitionTopic + "@" + message.getMessageId() + "}";
  }
}
