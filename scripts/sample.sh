#!/usr/bin/env bash
# Runs one sample app end to end on embedded defaults: a Pulsar standalone from the test kit, the
# local file system for HDFS (ClickHouse and Redis from the Debian packages, as the tests start
# them), a traffic generator, a progress line every second and a final check of the output
# against the input that ends `SUMMARY <sample> ... -> OK` (exit status 0; 1 otherwise).
#   scripts/sample.sh etl [--topics 300] [--records 300000] [--rate 10000] [--format parquet|json]
#                         [--hdfs hdfs://namenode:8020/dir] [--pulsar URL --pulsar-admin URL] ...
#   scripts/sample.sh abtest [--exposures 60000] [--rate 5000] [--table-format csv|parquet]
#                            [--clickhouse http://host:8123] ...
#   scripts/sample.sh serving [--plays 200000] [--port 8080] [--redis redis://host:6379] ...
# Options are listed in the javadoc of each sample's main class; README.md ("Samples") says what
# each sample does and checks.
# SLUICE_PULSAR_URL / SLUICE_PULSAR_ADMIN_URL also point a sample at an existing cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 1 ]]; then
  echo "usage: scripts/sample.sh etl|abtest|serving [--option value ...]" >&2
  exit 2
fi
if [[ $1 == abtest && " $* " != *" --clickhouse "* ]] && ! command -v clickhouse-server >/dev/null; then
  scripts/install-servers.sh
fi
if [[ $1 == serving && " $* " != *" --redis "* ]] && ! command -v redis-server >/dev/null; then
  scripts/install-servers.sh
fi
echo "sample: building (the first run downloads Maven, the dependencies and the Pulsar broker jars) ..."
# package, not install: the reactor resolves the SDK modules from their target directories
./mvnw -B -q -ntp -pl samples -am package dependency:build-classpath -DskipTests \
  -Dspotless.check.skip=true -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime
exec java -Xmx2g -XX:MaxDirectMemorySize=1g -cp "samples/target/classes:$(cat samples/target/classpath.txt)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${SAMPLE_JAVA_OPTS:-} \
  io.sluice.samples.SampleMain "$@"
