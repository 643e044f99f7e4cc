#!/usr/bin/env bash
# Starts, stops or shows a Pulsar 4.0.7 standalone broker for humans, samples and benchmarks.
#   scripts/pulsar-standalone.sh start   # prints SLUICE_PULSAR_URL=... and SLUICE_PULSAR_ADMIN_URL=...
#   scripts/pulsar-standalone.sh status
#   scripts/pulsar-standalone.sh stop
# Data, logs and the env file live in $SLUICE_PULSAR_DIR (default: work-data/pulsar).
# `eval "$(scripts/pulsar-standalone.sh start | grep ^SLUICE_)"` exports the URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
case "$cmd" in start|stop|status) ;; *) echo "usage: $0 start|stop|status" >&2; exit 2 ;; esac
dir=${SLUICE_PULSAR_DIR:-work-data/pulsar}
cp_file=sdk-testkit-broker/target/classes/io/sluice/testkit/pulsar-broker.classpath
if [ ! -f "$cp_file" ] || [ ! -d sdk-testkit/target/classes/io/sluice/testkit ]; then
  echo "pulsar-standalone: building the test kit (first run resolves the broker jars, ~1-2 min)" >&2
  ./mvnw -B -q -ntp -pl sdk-testkit -am package -DskipTests >&2
fi
mkdir -p "$dir"
exec java -cp sdk-testkit/target/classes:sdk-testkit-broker/target/classes \
  io.sluice.testkit.PulsarStandaloneMain "$cmd" "$dir"
