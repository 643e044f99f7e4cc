/**
 * Pulsar sources and record decoding.
 *
 * <p>A {@link io.sluice.source.PulsarSource} says which topics a stream reads; a {@link
 * io.sluice.source.RecordDecoder} turns each message into a value on the reader threads. Decoders
 * for JSON:
 *
 * <table>
 *   <caption>JSON decoders</caption>
 *   <tr><th>decoder</th><th>schema comes from</th><th>checks</th></tr>
 *   <tr><td>{@link io.sluice.source.RecordDecoder#json RecordDecoder.json(Order.class)}</td>
 *       <td>the Java class</td><td>what Jackson checks while binding (plain classes are bound by a
 *       faster parser that leaves anything unusual to Jackson)</td></tr>
 *   <tr><td>{@link io.sluice.source.JsonSchemaDocument#decoder
 *       JsonSchemaDocument.fromResource("order.schema.json").decoder(Order.class)}</td>
 *       <td>a JSON Schema document (file, class path, string)</td>
 *       <td>every rule of the document, then the bind</td></tr>
 *   <tr><td>{@link io.sluice.source.PulsarSchemaDecoder#tree PulsarSchemaDecoder.tree()} /
 *       {@code .bind(Order.class)}</td>
 *       <td>each topic's JSON schema in the Pulsar schema registry</td>
 *       <td>required fields, types, nullability, nested records, arrays, maps, enums</td></tr>
 * </table>
 *
 * <p>{@link io.sluice.source.TopicDecoders} gives each topic (or topic pattern) its own decoder, so
 * hundreds of topics with different schemas can share one job. Whatever a decoder cannot read goes
 * to the source's {@link io.sluice.source.BadRecordPolicy}: FAIL (default; the error names topic,
 * partition, message id and the reason, e.g. {@code /amount: required property 'amount' not found
 * (rule required)}), SKIP (counted), or DEAD_LETTER (original bytes plus the reason and source
 * position as properties, written as part of the checkpoint).
 */
package io.sluice.source;
