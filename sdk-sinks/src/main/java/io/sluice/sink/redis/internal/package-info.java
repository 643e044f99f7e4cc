/**
 * How the Redis sink ({@code RedisSink}) stays exactly-once, and what it does in outages and with
 * bad records; the public class shows usage and limits.
 *
 * <p><b>Why it stays exactly-once when the process is killed at any instant.</b>
 *
 * <pre>
 *  write ──▶ memory chunk (chunkCommands) ──HSET stage:&lt;batch&gt; &lt;i&gt; &lt;chunk&gt;──▶ Redis
 *  barrier: stage the rest, HSET stage:&lt;batch&gt; count &lt;n&gt;  ─▶ committable = batch id
 *  checkpoint durable, batch prepared by this process (commands still in memory):
 *      WATCH done:&lt;writer token&gt; stage:&lt;batch&gt;; GET done ≥ seq ? already committed
 *      staging sealed? no ─▶ leave it to the script below
 *      MULTI; the batch's commands; SET done = seq; DEL staging; EXEC   (one round trip)
 *  otherwise (recovery, retry) ─▶ EVAL commit script (atomic on the server):
 *      staging sealed?  yes ─▶ apply every chunk, SET done:&lt;writer token&gt; = seq, DEL staging
 *                       no  ─▶ done marker ≥ seq ? already committed : fail (staging lost)
 * </pre>
 *
 * A batch is named by the writer's random token and a sequence number, and is registered as pending
 * in the local state store before its first chunk is staged. Staging a chunk is an {@code HSET} by
 * chunk number, so a retried or repeated write cannot double it. Nothing reaches the target keys
 * until the commit, which applies the whole batch, sets the marker and deletes the staging key in
 * one atomic step: a MULTI/EXEC transaction (Redis drops the queue of a connection that dies before
 * {@code EXEC}, and {@code WATCH} makes a concurrent marker change abort it) or the script. A
 * replayed commit (after a crash, or a retry whose answer was lost) finds no staging key and a
 * marker at or above its sequence and changes nothing. The transaction is the fast path: it sends
 * the commands the writer still holds as plain commands, where the script pays a Lua call and a
 * decoded table per command (about three times the server time); batches above {@value
 * io.sluice.sink.redis.internal.RedisSinkSettings#MAX_COMMANDS_IN_MEMORY} commands are not kept in
 * memory and always take the script. After a crash, batches that did not make it into the restored
 * checkpoint are aborted: their staging keys are deleted; staging never holds applied commands, so
 * abort cannot undo a commit.
 *
 * <p><b>Bad records and outages.</b> A record whose mapping throws or returns null goes to {@link
 * SinkContext#badRecord} (counted and skipped with the app's policy SKIP, fatal with FAIL). Calls
 * that fail because Redis is unreachable are retried with backoff for up to {@link
 * Builder#retryTimeout} (default 60 s) while the writer's processing thread waits (backpressure);
 * commits are retried by the runtime until they succeed.
 *
 * <h2>Limits of {@code RedisSink}</h2>
 *
 * <p>Standalone Redis only (the commit script touches keys that are not declared, which Redis
 * Cluster refuses). Redis must keep its data across the app's restarts (persistence, or no Redis
 * restart): a lost staging key of a completed checkpoint fails the commit loudly rather than losing
 * output silently. A command Redis refuses when it is applied (e.g. {@code HINCRBY} on a key
 * holding a string) is skipped, counted in {@code sluice.sink.redis.rejected} and logged with its
 * key, while the rest of the batch is applied: neither the transaction nor the script can roll
 * back, and stopping would block every later checkpoint (both commit paths behave alike). Staging
 * and marker keys expire after {@link Builder#retention} (default 7 days), which must exceed the
 * longest time a completed checkpoint may wait for its commit (an app down longer than that whose
 * last checkpoint was committed starts normally). A commit counts once the primary applied it;
 * {@link Builder#waitForReplicas} makes it wait for replicas too. One commit runs inside Redis as
 * one transaction or script: very large checkpoints (millions of commands) block other clients
 * while it runs, so checkpoint often.
 */
package io.sluice.sink.redis.internal;
