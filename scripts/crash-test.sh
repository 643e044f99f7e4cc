#!/usr/bin/env bash
# The SIGKILL exactly-once scenario for one sink: a child-JVM job is killed at random moments
# while 200,000 records flow, restarted each time; at the end every record must be in the output
# exactly once. Prints the final line
#   RESULT crash sink=<name> inputs=N outputs=N duplicates=D lost=L kills=K
# Usage: scripts/crash-test.sh pulsar|redis|clickhouse|hdfs|hdfs-parquet [-Dsluice.crash.messages=N] [-Dsluice.crash.kills=K] [-Dsluice.crash.seed=S]
#        scripts/crash-test.sh scaleout   replicas of one app with the active ones SIGKILLed
#        (unsharded; then 2 shards with a rolling restart: a 4th replica joins, one leaves
#        gracefully), 4 shards on 2 replicas, a SIGSTOPped active replica, and 2 shards into
#        Redis and ClickHouse: prints
#   RESULT fewer-replicas shards=4 replicas=2 partitions=16 inputs=… duplicates=0 lost=0 kills=3
#   RESULT replicated instances=… inputs=… outputs=… duplicates=0 lost=0 kills=… handovers=… …
#   RESULT scaleout instances=… inputs=… outputs=… duplicates=0 lost=0 kills=… handovers=… leaves=1 …
#   RESULT zombie inputs=… outputs=… duplicates=0 lost=0 handover_after_sigstop_ms=…
#   RESULT replicated-stores inputs=… kills=… redis_wrong=0 windows=… duplicates=0 wrong_counts=0 …
set -euo pipefail
cd "$(dirname "$0")/.."
sink=${1:-}
shift || true
case "$sink" in
  pulsar) module=integration-tests; test=CrashRecoveryIT ;;
  redis) module=sdk-sinks; test=RedisSinkIT ;;
  clickhouse) module=sdk-sinks; test=ClickHouseSinkIT ;;
  hdfs) module=sdk-sinks; test=HdfsSinkIT ;;
  hdfs-parquet) module=sdk-sinks; test=HdfsParquetSinkIT ;;
  scaleout) module=integration-tests; test='FewerReplicasIT,ReplicatedFailoverIT,ReplicatedZombieIT,ReplicatedStoresIT,RepartitionIT' ;;
  *) echo "usage: $0 pulsar|redis|clickhouse|hdfs|hdfs-parquet|scaleout [-Dproperty=value ...]" >&2; exit 2 ;;
esac
if [ "$module" = sdk-sinks ] || [ "$sink" = scaleout ]; then
  scripts/install-servers.sh >/dev/null
fi
status=0
./mvnw -B -q -ntp -pl "$module" -am install -DskipTests
./mvnw -B -ntp -pl "$module" verify -Dit.test="$test" -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfailsafe.failIfNoSpecifiedTests=false "$@" > "target-crash-$sink.log" 2>&1 || status=$?
if [ "$sink" = scaleout ]; then
  grep -h "^RESULT " "$module"/target/failsafe-reports/*Replicated*-output.txt "$module"/target/failsafe-reports/*RepartitionIT-output.txt 2>/dev/null \
    || { echo "no RESULT line; see target-crash-$sink.log" >&2; status=1; }
else
  grep -h "^RESULT crash" "$module"/target/failsafe-reports/*"$test"-output.txt 2>/dev/null | tail -1 \
    || { echo "no RESULT line; see target-crash-$sink.log" >&2; status=1; }
fi
exit $status
