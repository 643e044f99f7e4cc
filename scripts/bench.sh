#!/usr/bin/env bash
# End-to-end benchmarks against a real broker (embedded unless SLUICE_PULSAR_URL is set).
# Figures are ratios against the raw pulsar-client measured in the same run.
#   scripts/bench.sh throughput [messages=1000000] [rounds=3]
#   scripts/bench.sh latency    [rate=10000] [seconds=60]
#   scripts/bench.sh windows    [events=1000000] [keys=100000]
#   scripts/bench.sh sinks      [rows=1000000] [rounds=5] [batch=20000] [sinks=clickhouse,redis,hdfs]
#   scripts/bench.sh manytopics [topics=1000] [partitions=4] [perPartition=100] [rounds=1] [heap=256m]
#   scripts/bench.sh recovery   [topics=250] [partitions=4] [keys=100000]
#   scripts/bench.sh slotgroups [coldRatePerTopic=20] [seconds=30] [workNanosPerRecord=60000]
#   scripts/bench.sh entry      [messages=1000000] [rounds=5]  (probe: whole-entry reads vs Readers)
#   scripts/bench.sh decode     [eventsPerRound=2000000] [rounds=5]   (no broker: JSON binding only)
#   scripts/bench.sh failover-probe [runs=10] [stopRuns=2]  (probe: Failover subscriptions, see
#       docs/pulsar-failover.md; broker settings via BENCH_JAVA_OPTS=-Dsluice.testkit.pulsar.extraConf=k=v,k=v)
#   scripts/bench.sh fencing-probe [rounds=3]  (probe: producer fencing, transactional acks, readers
#       and compaction with transactions, see docs/pulsar-fencing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
  throughput) main=io.sluice.bench.ThroughputBench ;;
  latency) main=io.sluice.bench.LatencyBench ;;
  windows) main=io.sluice.bench.WindowsBench ;;
  slotgroups) main=io.sluice.bench.SlotGroupsBench ;;
  sinks) main=io.sluice.bench.SinkBench ;;
  decode) main=io.sluice.bench.DecodeBench ;;
  entry) main=io.sluice.bench.EntryReadBench ;;
  failover-probe) main=io.sluice.bench.FailoverProbe ;;
  fencing-probe) main=io.sluice.bench.FencingProbe ;;
  scaleout) main=io.sluice.bench.ScaleOutBench ;;
  manytopics) main=io.sluice.bench.ManyTopicsBench ;;
  recovery) main=io.sluice.bench.RecoveryBench ;;
  *) echo "usage: $0 throughput|latency|windows|slotgroups|sinks|decode|entry|failover-probe|fencing-probe|scaleout|manytopics|recovery [args...]" >&2; exit 2 ;;
esac
shift
# package, not install: the reactor resolves the SDK modules from their target directories
./mvnw -B -q -ntp -pl benchmarks -am package dependency:build-classpath -DskipTests \
  -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt
exec java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${BENCH_JAVA_OPTS:-} "$main" "$@"
