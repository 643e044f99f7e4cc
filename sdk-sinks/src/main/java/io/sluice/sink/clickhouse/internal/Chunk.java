package io.sluice.sink.clickhouse.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Rows sent together, kept until the server has accepted them: one JSON line per record, in the
 * same order.
 */
final class Chunk {
  final Staged batch;
  byte[] body;
  final List<Object> records;
  final int index;

  private final long firstSeq;

  /** Each row's record number since the last checkpoint, once rows were left out; else null. */
  private long[] seqs;

  CompletableFuture<Void> sent;

  Chunk(Staged batch, byte[] body, List<Object> records, int index, long firstSeq) {
    this.batch = batch;
    this.body = body;
    this.records = records;
    this.index = index;
    this.firstSeq = firstSeq;
  }

  /** The record number since the last checkpoint of row {@code i} (0-based) of the body. */
  long seqOf(int i) {
    return seqs == null ? firstSeq + i : seqs[i];
  }

  /** Leaves out rows {@code from} (0-based, inclusive) to {@code to} (exclusive). */
  void remove(int from, int to) {
    if (from == to) {
      return;
    }
    int n = records.size();
    long[] all = new long[n];
    for (int i = 0; i < n; i++) {
      all[i] = seqOf(i);
    }
    int start = lineStart(body, from);
    int end = lineStart(body, to);
    byte[] rest = new byte[body.length - (end - start)];
    System.arraycopy(body, 0, rest, 0, start);
    System.arraycopy(body, end, rest, start, body.length - end);
    body = rest;
    records.subList(from, to).clear();
    seqs = new long[n - (to - from)];
    System.arraycopy(all, 0, seqs, 0, from);
    System.arraycopy(all, to, seqs, from, n - to);
  }

  /** Where 0-based line {@code n} starts ({@code body.length} past the last). */
  static int lineStart(byte[] body, int n) {
    int start = 0;
    for (int i = 0; i < n; i++) {
      while (start < body.length && body[start] != '\n') {
        start++;
      }
      start++;
    }
    return Math.min(start, body.length);
  }
}
