package io.sluice.samples.etl;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.source.DecoderContext;
import io.sluice.source.PulsarSchemaDecoder;
import io.sluice.source.RecordDecoder;
import io.sluice.source.SourceRecord;

/**
 * Checks each record against its topic's JSON schema in the Pulsar schema registry ({@link
 * PulsarSchemaDecoder}) and keeps where it came from; a record that fails goes to the source's
 * dead-letter topic.
 */
final class SchemaCheckedDecoder implements RecordDecoder<EtlRow> {
  private final PulsarSchemaDecoder<JsonNode> schemas = PulsarSchemaDecoder.tree();

  @Override
  public void open(DecoderContext context) {
    schemas.open(context);
  }

  @Override
  public EtlRow decode(SourceRecord record) throws Exception {
    return EtlRow.of(record.topic(), record.publishTime(), schemas.decode(record));
  }
}
