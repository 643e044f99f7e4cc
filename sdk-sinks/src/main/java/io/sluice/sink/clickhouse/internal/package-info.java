/**
 * How the ClickHouse sink ({@code ClickHouseSink}) stays exactly-once, and what it does in outages
 * and with bad records; the public class shows usage and limits.
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b> A ClickHouse
 * insert is not all-or-nothing: a client that dies mid-request (FIN at a row boundary) gets its
 * partial rows committed. So the target never receives rows straight from the app; each batch (a
 * writer's rows between two checkpoints) is written to a staging table of its own, with the
 * target's columns and engine, and its parts are then attached to the target:
 *
 * <pre>
 *  first row  ─▶ register batch B as pending; CREATE TABLE events__sluice_S_B (target's columns and
 *                engine; _sluice_batch DEFAULT 'B', so rows on the wire carry only their columns),
 *                unless made ahead; register B+1 and CREATE its table ahead, so no batch waits
 *                for its CREATE behind the server's other work
 *  write      ─▶ buffer (batchRows / batchBytes / flushInterval) ─▶ INSERT INTO events__sluice_S_B,
 *                sent while the next chunk is encoded
 *  failed try ─▶ count() staging: the rows before the chunk are known, so the count tells how
 *                many of its rows the try staged (a prefix, see below); send only the rest
 *  barrier    ─▶ send the rest and go on with the next batch at once; a finisher thread waits
 *                for that insert (handling a failed try as above), then, only if some insert try
 *                failed: count() = rows sent? (if not, fail the batch) ─▶ the prepared future
 *                completes: committable = B
 *  checkpoint durable ─▶ per partition p: ALTER TABLE events ATTACH PARTITION ID p FROM events__sluice_S_B
 *                     ─▶ DROP TABLE events__sluice_S_B (in the background)
 *  replay / retry     ─▶ staging gone and B in the target: done; else per staged partition p:
 *                        attach only if the target has no row of B in p; then drop
 * </pre>
 *
 * A failed insert may still have staged rows: ClickHouse stores, in order, the rows it read before
 * a connection ended at a row boundary, so what a failed try leaves is a prefix of its chunk (none,
 * some or all of its rows). Chunks of a batch are sent one at a time, so the rows staged before a
 * chunk are known; before each new try the staging table is counted, and only the chunk's rows
 * beyond that prefix are sent. The count runs under the chunk's own query id, which ClickHouse
 * refuses while a statement with that id runs, so it waits until a try the client gave up on has
 * ended on the server. A count that cannot be (more rows than were sent: a try that started on the
 * server after the client gave up on it) fails the batch instead of guessing; the app recovers from
 * its last checkpoint and the batch is written again. A batch whose every chunk was accepted by its
 * first request holds exactly its rows, so it is not counted; one that had a failed try is counted
 * once more before it is named prepared. The checkpoint waits for the prepared future, so it never
 * names a batch whose staging is not yet complete and exact; the next batch's first insert waits
 * for it too (one insert in flight).
 *
 * <p>A batch is registered as pending in the local state store before its staging table is created
 * (for a table made ahead too), and recovery drops the staging tables of batches that did not reach
 * the restored checkpoint, so rows of a killed writer's partial insert never reach the target, and
 * a table made ahead for a batch that never got a row is dropped as well (a closing writer drops it
 * itself). The staging tables' names carry a scope S, a hash of the app's (or shard's) and the
 * sink's names, so a start whose state directory was lost, and with it the list of pending batches,
 * still finds the staging tables its earlier runs left with one query on {@code system.tables} and
 * drops them ({@code Committer#abortOrphans}), without touching those of other apps or shards that
 * write to the same table. ATTACH PARTITION … FROM links the staged parts of one partition into the
 * target as one atomic change, so a partition of a batch is in the target entirely or not at all,
 * and one row of it tells. Its check and attach run under one query id per batch and partition,
 * which ClickHouse refuses to run twice at once, so an attach left running by a killed process
 * finishes before a replay looks. The first commit of a batch prepared by the same process skips
 * the check (no earlier run can have attached it), so the target's {@code _sluice_batch} column is
 * read only on retries and recovery. Rows are written once, into staging; the commit copies no row
 * (the parts are hard links). The batch columns are plain data: count with {@code count()}; no
 * {@code FINAL} is needed. On servers that support {@code insert_deduplication_token} (22.2 and
 * later; detected from the version) staging inserts carry one too, so the server also drops a
 * retried chunk.
 *
 * <p><b>Throughput.</b> Rows on the wire are the plain insert's rows. Each writer pays a fixed cost
 * per checkpoint on the server (CREATE of the staging table, one ATTACH per partition, DROP; about
 * 2 ms of server CPU) and the server fills and stores the {@code _sluice_batch} column. Fewer,
 * larger checkpoints (a longer interval, fewer slot groups writing to one table) bring the sink
 * closer to a plain insert; measured figures are in benchmarks/README.md.
 *
 * <p><b>Outages.</b> Every request is retried with backoff for up to {@code Builder#retryTimeout}
 * (default 60 s); meanwhile the writer's processing thread waits, which stops its readers
 * (backpressure). A batch's last insert is retried by the finisher while the processing thread
 * waits at its next insert; if it still fails (or a row of it is refused under the policy FAIL),
 * the batch's prepared future fails and the app stops and recovers from its last complete
 * checkpoint, aborting the batch. Commits are retried by the runtime until they succeed.
 *
 * <h2>Limits of {@code ClickHouseSink}</h2>
 *
 * <p>The target must be a plain MergeTree table. Replicated and distributed tables are refused
 * (their parts cannot be attached from a local staging table), and so are the merging engines
 * (Summing, Replacing, Aggregating, Collapsing, VersionedCollapsing, Graphite, …MergeTree): a merge
 * can combine a committed batch's rows with others so that no row of the batch is left, and the
 * replay after a crash would then attach the batch again. A TTL that deletes rows within the time
 * between a commit and a crash's replay would do the same; keep TTLs far longer than that. A server
 * crash (not a client one) in the middle of an attach is not covered. A staging table left by a
 * killed process is dropped by recovery, also when the state directory was lost; one whose
 * background drop failed after its commit only holds rows the target already has, and is dropped by
 * the next start. Staging tables of versions whose names had no scope are committed or dropped when
 * a checkpoint or pending handle names them, but a lost state directory leaves them for a drop by
 * hand. The staging tables take the target's columns when a writer starts. A batch staged before an
 * {@code ALTER} of the target is copied, at its commit, into a table of the target's new structure
 * (ATTACH … FROM needs both alike; columns the target gained take their defaults) and attached from
 * there, so the commit does not fail; restart the app after {@code ALTER}ing the target so that its
 * writers stage the new columns and later batches need no copy. Rows are checked against the
 * target's columns when written. A record the sink cannot map (the mapping throws or returns null,
 * a column the table lacks, a value the server refuses for that row) goes to {@link
 * SinkContext#badRecord}: with the app's policy SKIP it is counted and left out (the rest of its
 * request is sent again without it), with FAIL the app stops naming the record, the table and the
 * column.
 */
package io.sluice.sink.clickhouse.internal;
