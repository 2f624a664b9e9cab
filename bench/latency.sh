#!/usr/bin/env bash
# Latency of the beacon answer: p50 / p99 / p99.9 of GET /i at 50 % and 90 % of a maximum rate you give
# (measure it first, e.g. with bench/wrk-beacons.sh), steady load, every request a new event.
#
# usage: bench/latency.sh MAX_RATE [seconds=60] [connections=256] [wrk-threads=2]
#   Expects a running './adgrid run --demo' on :8080/:8081, or BENCH_START=1 (bench/lib.sh). Needs wrk
#   (bench/steady.lua). First WARMUP seconds (30) at 90 %, not measured. wrk measures from the actual
#   send: no coordinated-omission correction.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
max="${1:?usage: bench/latency.sh MAX_RATE [seconds] [connections] [wrk-threads]}"
secs="${2:-60}"; conns="${3:-256}"; threads="${4:-2}"
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
adgrid_up
warm_up $(( max * 90 / 100 )) "$conns" "$threads"
rows=()
for pct in 50 90; do
  rate=$(( max * pct / 100 ))
  bench_log "GET /i at $pct % of $max = $rate req/s, ${secs}s, $conns connections"
  wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$here/steady.lua" "$GATEWAY" -- "$rate" "$threads" > "$work/$pct.txt"
  f() { wrk_field "$1" "$work/$pct.txt"; }
  rows+=("| $pct % | $rate | $(awk -v n="$(f requests)" -v s="$(f seconds)" 'BEGIN { printf "%.0f", n / s }') | $(f status_errors) | $(f p50) | $(f p99) | $(f p999) | $(f max) |")
done
echo
echo "== beacon latency (GET /i), max rate $max req/s, ${secs}s each, $conns connections"
echo "| load | target req/s | achieved req/s | non-2xx | p50 ms | p99 ms | p99.9 ms | max ms |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
