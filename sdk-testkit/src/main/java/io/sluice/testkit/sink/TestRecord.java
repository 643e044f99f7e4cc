package io.sluice.testkit.sink;

/** What the compatibility kit writes: a unique id and one of a few keys. */
public record TestRecord(long id, String key) {}
