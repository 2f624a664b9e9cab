#!/usr/bin/env bash
# Overload (issue 4, fault 6): far more concurrent beacons than AdGrid can answer within its queueing
# limit (500 ms), then normal load again. Shows the 503 + Retry-After shedding under real load, the
# heap against its limit, and the throughput after the overload against the one before.
# wrk is closed loop (a slow answer delays the next request), so this cannot offer a fixed rate:
# bench/overload-open.sh offers twice the sustainable rate open loop.
#
# usage: bench/overload.sh [overload-connections=15000] [seconds=30]
#   Starts a private './adgrid run --demo' (bench/lib.sh, BENCH_START) pinned to CPU 0 and runs wrk on
#   CPU 1, so the load generator does not take AdGrid's core (needs 2 cores, taskset, wrk, java, psql).
#   The open-file limit (ulimit -n) must allow the connections twice (wrk's side and AdGrid's).
#   Phases: 20 s at 64 connections (before), the overload, 20 s at 64 connections (after). Each phase
#   has its own distinct signed URLs (bench/SignedUrls.java: 75k a second for 64 connections, 150k a
#   second for the overload); a 503 is not re-sent, so the exactness check compares AdGrid's count with
#   the 2xx answers wrk received.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conns="${1:-15000}"; secs="${2:-30}"
export BENCH_START=1
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 1; }

adgrid_up
taskset -a -p -c 0 "$ADGRID_PID" >/dev/null
max_heap=$(jcmd "$ADGRID_PID" VM.flags | tr ' ' '\n' | sed -n 's/^-XX:MaxHeapSize=//p')
# Distinct beacons per phase (each wrk run starts at its file's top); the overload answers 503s fast.
java "$here/SignedUrls.java" 1500000 > "$work/before.paths"
java "$here/SignedUrls.java" $(( secs * 150000 )) > "$work/overload.paths"
java "$here/SignedUrls.java" 1500000 > "$work/after.paths"

phase() {  # phase NAME CONNECTIONS SECONDS
  local out="$work/$1.txt" heap_max=0 h
  taskset -c 1 wrk -t1 -c"$2" -d"$3s" --timeout 10s -s "$here/cycle.lua" "$GATEWAY" -- "$work/$1.paths" 1 > "$out" 2>&1 &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    h=$(prom_sum '^jvm_memory_used_bytes\{.*area="heap"')
    (( h > heap_max )) && heap_max=$h
    sleep 2
  done
  wait "$wrk_pid" || true
  local requests non2xx
  requests=$(wrk_field requests "$out")
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out"); non2xx=${non2xx:-0}
  echo "$1 $requests $non2xx $(sed -n 's/^Requests\/sec: *//p' "$out") $heap_max $(wrk_field p99 "$out")"
}

before_total=$(total_impressions)
shed_before=$(prom_sum '^adgrid_gateway_events_total\{.*reason="overloaded"')
read -r _ r1 n1 rate1 heap1 p991 < <(phase before 64 20)
read -r _ r2 n2 rate2 heap2 p992 < <(phase overload "$conns" "$secs")
read -r _ r3 n3 rate3 heap3 p993 < <(phase after 64 20)
shed=$(( $(prom_sum '^adgrid_gateway_events_total\{.*reason="overloaded"') - shed_before ))
ok=$(( r1 - n1 + r2 - n2 + r3 - n3 ))

echo
echo "== overload: AdGrid on CPU 0, wrk on CPU 1; max heap $((max_heap / 1048576)) MB"
echo "| phase | connections | req/s | answers | non-2xx | max heap used MB | p99 ms |"
echo "|---|---|---|---|---|---|---|"
echo "| before | 64 | $rate1 | $r1 | $n1 | $((heap1 / 1048576)) | $p991 |"
echo "| overload | $conns | $rate2 | $r2 | $n2 | $((heap2 / 1048576)) | $p992 |"
echo "| after | 64 | $rate3 | $r3 | $n3 | $((heap3 / 1048576)) | $p993 |"
echo "== shed with 503 overloaded (gateway metric): $shed; throughput after / before: $(awk -v a="$rate3" -v b="$rate1" 'BEGIN { printf "%.2f", a / b }')"
grep -q "OutOfMemoryError" "$VAR_DIR/adgrid.log" && echo "== OutOfMemoryError in AdGrid's log" || echo "== no OutOfMemoryError in AdGrid's log"
check_exact "$ok" "$before_total" "$((64 + conns + 64))"
