package io.sluice.source;

import java.util.Map;
import java.util.Objects;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;

/** One message read from a partition, as handed to the first operator (or to a decoder). */
public final class SourceRecord {
  private final String partitionTopic;
  private final MessageId messageId;
  private final String key;
  private final byte[] value;
  private final long publishTime;
  private final long eventTime;
  private final Map<String, String> properties;

  /** The message this record was read from (key and properties come from it), or null. */
  private final Message<byte[]> message;

  /**
   * A record built from its parts (the test driver uses this; the runtime uses {@link #of}).
   *
   * @param eventTime the producer's event time, or 0 if none (then {@link #eventTime()} is the
   *     publish time)
   */
  public SourceRecord(
      String partitionTopic,
      MessageId messageId,
      String key,
      byte[] value,
      long publishTime,
      long eventTime,
      Map<String, String> properties) {
    this.partitionTopic = Objects.requireNonNull(partitionTopic, "partitionTopic must not be null");
    this.messageId = Objects.requireNonNull(messageId, "messageId must not be null");
    this.key = key;
    this.value = value == null ? new byte[0] : value;
    this.publishTime = publishTime;
    this.eventTime = eventTime;
    this.properties = properties == null ? Map.of() : properties;
    this.message = null;
  }

  /**
   * The record of a message read from {@code partitionTopic}. Key and properties are read from the
   * message when asked for (most decoders never do).
   */
  public static SourceRecord of(Message<byte[]> message, String partitionTopic) {
    return new SourceRecord(partitionTopic, message);
  }

  private SourceRecord(String partitionTopic, Message<byte[]> message) {
    this.partitionTopic = Objects.requireNonNull(partitionTopic, "partitionTopic must not be null");
    this.messageId = message.getMessageId();
    this.key = null;
    byte[] data = message.getValue();
    this.value = data == null ? new byte[0] : data;
    this.publishTime = message.getPublishTime();
    this.eventTime = message.getEventTime();
    this.properties = null;
    this.message = message;
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
    return messageId;
  }

  /** The message key, or {@code null}. */
  public String key() {
    if (message != null) {
      return message.hasKey() ? message.getKey() : null;
    }
    return key;
  }

  /** The payload; never {@code null} (an empty payload is an empty array). Do not modify it. */
  public byte[] value() {
    return value;
  }

  public long publishTime() {
    return publishTime;
  }

  /** The event time set by the producer, or the publish time if none was set. */
  public long eventTime() {
    return eventTime > 0 ? eventTime : publishTime;
  }

  public Map<String, String> properties() {
    return message != null ? message.getProperties() : properties;
  }

  @Override
  public String toString() {
    return "SourceRecord{" + partitionTopic + "@" + messageId + "}";
  }
}
