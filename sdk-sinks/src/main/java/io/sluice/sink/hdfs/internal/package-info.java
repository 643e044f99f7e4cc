/**
 * How the HDFS sink ({@code HdfsSink}) stays exactly-once, and what it does in outages and with bad
 * records; the public class shows usage and limits.
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b>
 *
 * <pre>
 *  write ─▶ &lt;bucket&gt;/.part-&lt;batch&gt;-&lt;n&gt;.&lt;ext&gt;.inprogress  (hidden; readers skip dot files)
 *  barrier: finish (footer), hsync + close every file; the committable (batch id + the files'
 *           names) goes into the checkpoint, which completes only after all of this
 *  checkpoint durable ─▶ rename each file to &lt;bucket&gt;/part-&lt;batch&gt;-&lt;n&gt;.&lt;ext&gt;
 * </pre>
 *
 * The barrier's file work runs on a small finisher pool per writer, so the processing thread goes
 * on with the next batch at once; {@code prepareCommit}'s future completes when the batch's files
 * are durable. The names travel in the local checkpoint (relative to the base path, one line per
 * file), so a batch costs the file system what a plain writer's files cost plus one rename each.
 *
 * <p><b>Rolling and formats.</b> A part file is closed (synced) when it reaches {@link
 * Builder#maxPartSize}, when its bucket gets a record after {@code Builder#maxPartAge}, and always
 * at a checkpoint; a batch may hold several parts per bucket. Files are JSON lines ({@link
 * Builder#lines}), optionally gzip-compressed ({@code Builder#gzip}, {@code .jsonl.gz}: one gzip
 * member per file), or Parquet ({@code Builder#parquet}, {@code .parquet}; see {@link
 * ParquetFormat}). File names hold the writer, a random token per writer instance and the batch
 * number, so they are unique per writer and checkpoint.
 *
 * <p><b>Closing files on HDFS.</b> Every checkpoint closes the batch's part files (off the
 * processing thread). An HDFS client whose close races the datanode's report of the last block
 * waits before asking the name node again, 400 ms at first by default; with short checkpoint
 * intervals that wait can dominate. Lowering {@code
 * dfs.client.block.write.locateFollowingBlock.initial.delay.ms} (and raising {@code ...retries}, so
 * the total wait stays long) in the {@code Builder#configuration} avoids it; the benchmark and
 * tests use 10 ms and 12 retries.
 *
 * <p><b>Bad records and outages.</b> A record whose mapping throws, returns null, gives a line with
 * a line break or a Parquet value that does not fit its column goes to {@link
 * SinkContext#badRecord} (counted and skipped with the app's policy SKIP, fatal with FAIL). File
 * system calls are retried with backoff for up to {@code Builder#retryTimeout} (default 60 s) while
 * the calling thread waits (backpressure); a batch whose files still cannot be made durable fails
 * its {@code prepareCommit} future, and with it the app, which recovers from its last complete
 * checkpoint. A part whose write pipeline broke (data node or name node down) cannot take more
 * bytes, and what was handed to it may be lost; the writer keeps each open part's bytes in memory
 * and writes them again into a new part file once HDFS answers, then deletes the broken one.
 * Commits are retried by the runtime until they succeed.
 *
 * <p>A batch's id is registered as pending in the local state store before its first file is
 * created (the runtime matches it with the committable through {@code Committer#pendingHandleOf}).
 * Rename is atomic and a renamed file is recognised by its final name, so a replayed commit renames
 * only what is left. Recovery re-commits the restored checkpoint's batches and aborts newer ones:
 * their hidden files are found by name and deleted, with one walk of the base path for all of them.
 *
 * <p><b>A lost state directory.</b> The writer also lists each batch in the file system before its
 * first file, as an empty file {@code .sluice/<scope>/<batch>} under the base path (the scope is a
 * hash of the app's, or shard's, and the sink's names; see {@link OpenBatches}), and the committer
 * deletes it once the batch is committed or aborted. A start whose state directory was lost finds
 * the batches its earlier runs left there, deletes their hidden files and forgets them; other apps
 * and shards writing under the same base path have other scopes. That costs one listing of the
 * scope's directory per start, one walk of the base path only when something was left, and two name
 * node calls per batch.
 *
 * <p><b>Success markers.</b> With time buckets and {@code Builder#successMarkers}, each writer's
 * committable also carries its event-time watermark and the time partitions it wrote, and the
 * committer writes a partition's {@code _SUCCESS} once every writer of a fully committed checkpoint
 * has passed the partition's end; see {@link SuccessMarkers}.
 *
 * <p><b>Metrics.</b> Besides the records written, {@code sluice.sink.bytes} counts each part file's
 * bytes (compressed, as stored) once the file is durably closed.
 *
 * <h2>Parquet part files ({@code ParquetFormat})</h2>
 *
 * <p><b>Part files.</b> A Parquet file cannot be flushed half-way (its footer is written last), so
 * each part file is finished (footer written, synced, closed) when it rolls and at every
 * checkpoint, then committed by rename exactly like JSON-lines parts ({@code part-*.parquet}). A
 * part holds one row group per {@link Builder#rowGroupSize} bytes; the open row group is buffered
 * in memory (per open bucket), which is why the default is smaller than Parquet's usual 128 MiB;
 * each open part also holds one {@link Builder#pageSize} of compression buffer. Nested and repeated
 * fields are not supported: map them to columns or to a JSON string.
 */
package io.sluice.sink.hdfs.internal;
