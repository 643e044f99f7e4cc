package io.sluice.samples.etl;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.sink.hdfs.ParquetFormat;
import io.sluice.sink.hdfs.ParquetFormat.Type;
import org.apache.pulsar.common.naming.TopicName;

/**
 * One output row of the etl sample: where the record came from, its id and event time, and the
 * record itself (checked against its topic's schema) as JSON.
 *
 * @param topic the topic's local name, e.g. {@code r42-t007}
 * @param namespace e.g. {@code public/etl-b}
 * @param id the record's {@code id}
 * @param eventTime the record's {@code ts} (epoch ms)
 * @param publishTime when the broker got it (epoch ms)
 * @param payload the record as JSON
 */
public record EtlRow(
    String topic, String namespace, long id, long eventTime, long publishTime, String payload) {

  static EtlRow of(String topic, long publishTime, JsonNode record) {
    TopicName name = TopicName.get(topic);
    return new EtlRow(
        name.getLocalName(),
        name.getNamespace(),
        record.get("id").asLong(),
        record.get("ts").asLong(),
        publishTime,
        record.toString());
  }

  /**
   * The Parquet columns, in 64 KiB pages: with hundreds of topics, each with a few hours open,
   * every open part file's page-sized compression buffer adds up (1 MiB each by default).
   */
  static ParquetFormat<EtlRow> parquet() {
    return ParquetFormat.<EtlRow>builder("etl_row")
        .required("topic", Type.STRING, EtlRow::topic)
        .required("namespace", Type.STRING, EtlRow::namespace)
        .required("id", Type.INT64, EtlRow::id)
        .required("event_time", Type.TIMESTAMP_MILLIS, EtlRow::eventTime)
        .required("publish_time", Type.TIMESTAMP_MILLIS, EtlRow::publishTime)
        .required("payload", Type.STRING, EtlRow::payload)
        .pageSize(64 << 10)
        .build();
  }

  /** The JSON-lines form: the same fields as the Parquet columns. */
  String toJsonLine() {
    return "{\"topic\":\"%s\",\"namespace\":\"%s\",\"id\":%d,\"event_time\":%d,\"publish_time\":%d,\"payload\":%s}"
        .formatted(topic, namespace, id, eventTime, publishTime, payload);
  }
}
