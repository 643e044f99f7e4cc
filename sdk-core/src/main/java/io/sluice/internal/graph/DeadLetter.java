package io.sluice.internal.graph;

import io.sluice.source.SourceRecord;
import java.util.HashMap;
import java.util.Map;

/** A record its decoder could not read, on its way to the dead-letter topic. */
public record DeadLetter(SourceRecord record, Throwable error) {
  /** The original properties plus the error and the source position. */
  public Map<String, String> properties() {
    Map<String, String> p = new HashMap<>(record.properties());
    p.put("sluice.error", String.valueOf(error));
    p.put("sluice.source.topic", record.partitionTopic());
    p.put("sluice.source.messageId", String.valueOf(record.messageId()));
    p.put("sluice.source.publishTime", Long.toString(record.publishTime()));
    return p;
  }
}
