package io.sluice.sink.clickhouse.internal;

import io.sluice.sink.internal.Secret;
import io.sluice.sink.internal.TlsTrust;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The validated settings of one ClickHouse sink, shared by its writers and its committer.
 *
 * @param name the sink's name
 * @param url HTTP interface, e.g. {@code http://127.0.0.1:8123}
 * @param database the target's database
 * @param table the target table
 * @param user user, or null for the server's default
 * @param password password, or null (shown as {@code ****})
 * @param trust the certificates an {@code https} URL is checked against, or null for the JVM's
 * @param rows maps a record to its row (column name to value)
 * @param batchRows rows buffered before they are sent to staging
 * @param batchBytes bytes buffered before they are sent to staging
 * @param flushInterval longest time rows wait in memory (checked when records arrive)
 * @param requestTimeout timeout of one HTTP request
 * @param retryTimeout how long a request failing for a passing reason is retried
 * @param retryBackoff first backoff between retries (doubles, up to 5 s)
 * @param commitTimeout how long a commit waits for a commit statement of an earlier run to end
 * @param preparedHere batches prepared by this process and not committed yet: their first commit
 *     needs no duplicate check, since no earlier run can have committed them
 * @param targetCache the target's description, read once and shared by the writers and committer
 */
public record ClickHouseSinkSettings<T>(
    String name,
    String url,
    String database,
    String table,
    String user,
    Secret password,
    TlsTrust trust,
    Function<? super T, ? extends Map<String, ?>> rows,
    int batchRows,
    long batchBytes,
    Duration flushInterval,
    Duration requestTimeout,
    Duration retryTimeout,
    Duration retryBackoff,
    Duration commitTimeout,
    Set<String> preparedHere,
    AtomicReference<TargetTable> targetCache) {

  public ClickHouseSinkSettings {
    preparedHere = preparedHere != null ? preparedHere : ConcurrentHashMap.newKeySet();
    targetCache = targetCache != null ? targetCache : new AtomicReference<>();
  }

  /** The target's description, read from the server the first time (thread-safe). */
  public TargetTable target(ClickHouseHttp http) {
    TargetTable t = targetCache.get();
    if (t == null) {
      t = TargetTable.prepare(http, database, table);
      targetCache.compareAndSet(null, t);
    }
    return t;
  }

  /** The target's description read again (after an {@code ALTER}), for every later user too. */
  public TargetTable refreshTarget(ClickHouseHttp http) {
    TargetTable t = TargetTable.prepare(http, database, table);
    targetCache.set(t);
    return t;
  }

  public ClickHouseHttp newHttp() {
    return new ClickHouseHttp(url, database, user, password, trust, requestTimeout);
  }
}
