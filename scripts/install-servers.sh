#!/usr/bin/env bash
# Installs the servers the tests, samples and benchmarks start as plain processes on loopback:
# ClickHouse and Redis from Debian's packages. Idempotent; needs root (or passwordless sudo).
# Pulsar needs nothing here: its jars come from Maven Central during the build.
set -euo pipefail

need=()
command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)

if [ ${#need[@]} -eq 0 ]; then
  echo "install-servers: clickhouse-server, clickhouse-client and redis-server already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    echo "install-servers: need root to install ${need[*]}; run this script as root" >&2
    exit 1
  fi
fi

echo "install-servers: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${need[@]}"

# The Debian packages may start system services on their default ports; the project runs its own
# instances on free ports, so stop the packaged ones to keep the machine's 2 cores for the tests.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now redis-server clickhouse-server >/dev/null 2>&1 || true
fi
for tool in clickhouse-server redis-server; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-servers: $tool still missing" >&2; exit 1; }
done
echo "install-servers: done"
