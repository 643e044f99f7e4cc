#!/usr/bin/env bash
# The test command: installs the test servers (ClickHouse, Redis) when missing, then builds and runs
# every unit and integration test against real servers. Pulsar runs as a standalone broker in a
# child JVM built from Maven Central jars; HDFS as an in-JVM MiniDFSCluster.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/install-servers.sh
./mvnw -B -ntp verify "$@"
echo "test.sh: all tests passed in $(( $(date +%s) - started )) s"
