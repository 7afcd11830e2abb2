#!/usr/bin/env bash
# Load one `outlast serve` (examples/single-node.yaml) with dnsperf and print
# queries per second. Everything runs on loopback and is stopped at the end.
#   bench/dnsperf.sh [--duration SECONDS] [--clients N]
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
clients=4
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "usage: $0 [--duration SECONDS] [--clients N]" >&2; exit 2 ;;
  esac
done

command -v dnsperf >/dev/null || apt-get install -y dnsperf >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/outlast" ./cmd/outlast
"$work/outlast" backend --listen 127.0.0.11:8081 >/dev/null 2>&1 & pids+=($!)
"$work/outlast" backend --listen 127.0.0.12:8081 >/dev/null 2>&1 & pids+=($!)
"$work/outlast" serve --config examples/single-node.yaml --log-level warn & pids+=($!)
sleep 3 # first probes and verdicts

# A mix a resolver sends during an outage: mostly the steered name, some
# AAAA (NODATA), misses (NXDOMAIN) and apex lookups.
for _ in $(seq 1 70); do echo "api.example.test A"; done >"$work/queries"
for _ in $(seq 1 10); do echo "api.example.test AAAA"; echo "missing.example.test A"; done >>"$work/queries"
for _ in $(seq 1 5); do echo "example.test SOA"; echo "example.test NS"; done >>"$work/queries"

dnsperf -s 127.0.0.1 -p 8053 -d "$work/queries" -l "$duration" -c "$clients" -q 500 -S 1 >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
grep -E 'Queries (sent|completed|lost)|Response codes|Queries per second|Average Latency|Latency StdDev' "$work/out"
qps=$(awk '/Queries per second/ {print $4}' "$work/out")
lat=$(awk '/Average Latency/ {print $4}' "$work/out")
echo "qps_outlast=$qps avg_latency_s=$lat duration_s=$duration clients=$clients"
