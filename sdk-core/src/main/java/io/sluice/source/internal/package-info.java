/**
 * Internals of the JSON decoders: the JSON Schema validator ({@code JsonValidator}), the parse and
 * error reporting shared by the decoders ({@code JsonPayloads}), the fast binder ({@code json}) and
 * the translation of Pulsar's registered schemas ({@code AvroJsonSchemas}).
 *
 * <h2>Schemas from the Pulsar registry ({@code PulsarSchemaDecoder})</h2>
 *
 * <p>A topic's JSON schema in Pulsar (what a producer with {@code Schema.JSON(Order.class)}
 * registers) is a record definition in Avro's JSON form; it is translated into a validator that
 * checks required fields, field types (int within 32 bits), nullability and unions, nested and
 * recursive records, arrays, maps and enums (see {@code AvroJsonSchemas} for the exact mapping;
 * extra fields are allowed, as in Avro's JSON reading).
 *
 * <p>When the app starts, the schemas of all its topics are fetched at once (one admin call per
 * topic, concurrently) and each distinct schema is compiled once and shared by the topics that use
 * it. A topic with no schema, or with a schema that is not JSON (e.g. AVRO or STRING), fails the
 * start with an error naming every such topic and the fix. A topic found later by discovery has its
 * schema fetched the first time one of its records arrives; if it has no usable schema, its records
 * are bad records (the reason names the topic) and the registry is asked again at most every 30 s;
 * while the admin API is unreachable, that partition's reading waits (up to 60 s, then the error
 * goes to the bad-record policy) rather than losing records to an outage. The schema is the one
 * registered when the topic was first seen: a schema registered later (a new version) is picked up
 * on restart.
 */
package io.sluice.source.internal;
