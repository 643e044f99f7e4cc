#!/usr/bin/env bash
# The main job: JSON events on three topics -> a Sluice job (decode, keyed running counts, enrich)
# -> an output topic through the transactional Pulsar sink, with a progress line every second and
# a summary that checks the output against the input. Starts an embedded Pulsar standalone unless
# SLUICE_PULSAR_URL and SLUICE_PULSAR_ADMIN_URL are set. Ctrl-C stops it cleanly.
#   scripts/demo.sh [events=300000] [rate_per_s=50000]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "demo: building (first run downloads Maven, the dependencies and the Pulsar broker jars) ..."
./mvnw -B -q -ntp -pl samples -am install -DskipTests
./mvnw -B -q -ntp -pl samples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
exec java -Xmx1g -cp "samples/target/classes:$(cat samples/target/classpath.txt)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${DEMO_JAVA_OPTS:-} \
  io.sluice.samples.DemoMain "$@"
