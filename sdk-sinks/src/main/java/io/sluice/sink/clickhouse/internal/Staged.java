package io.sluice.sink.clickhouse.internal;

import io.sluice.sink.internal.BatchId;

/**
 * What a batch's chunks share: its id and what their tries found. Owned by the processing thread,
 * then by the finisher once the batch is handed over.
 */
final class Staged {
  final BatchId id;
  final String name;

  /** Some insert try failed: it may have left rows in staging, so the batch is counted. */
  boolean dirty;

  /** Rows the server refused and the bad-record handler skipped. */
  long skipped;

  /** Rows known to be in the staging table: those of every chunk accepted so far. */
  long staged;

  Staged(BatchId id) {
    this.id = id;
    this.name = id.toString();
  }
}
