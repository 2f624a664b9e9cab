#!/usr/bin/env bash
# Overload with an open-loop generator (issue 4, fault 6): offers FACTOR times the rate AdGrid sustains,
# whatever its answers, then the sustainable rate (or a fraction of it) again. Shows whether the gateway
# sheds with 503 + Retry-After, the heap against its limit, and whether throughput recovers.
#
# usage: bench/overload-open.sh [factor=2] [overload-seconds=30] [after-factor=1] [after-seconds=20] [connections=1000]
#   Starts a private './adgrid run --demo' (bench/lib.sh, BENCH_START; BENCH_START=jar: the built jar) pinned to CPU 0; the load runs on
#   CPU 1 (needs 2 cores, taskset, wrk, java, psql).
#   1. The sustainable rate: 20 s of wrk (closed loop) at 64 connections, distinct signed beacons.
#   2. bench/OpenLoad.java offers FACTOR x that rate for the overload seconds, then AFTER-FACTOR x that rate,
#      over the same pipelined keep-alive connections; every request a distinct signed impression.
#   A 503 is not re-sent, so AdGrid's impressions must move by the 2xx answers (plus at most the requests
#   that got no answer: lost with a closed connection, or unanswered at the end).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
factor="${1:-2}"; secs="${2:-30}"; after_factor="${3:-1}"; after_secs="${4:-20}"; conns="${5:-1000}"
# BENCH_START=jar runs app/target/adgrid-exec.jar as built (no launcher, which builds and installs); else ./adgrid run
[[ "${BENCH_START:-}" == jar ]] || BENCH_START=1
export BENCH_START
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
work="$(mktemp -d)"; sampler=""
trap '[[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null; adgrid_down; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
adgrid_up
taskset -a -p -c 0 "$ADGRID_PID" >/dev/null
max_heap=$(jcmd "$ADGRID_PID" VM.flags | tr ' ' '\n' | sed -n 's/^-XX:MaxHeapSize=//p')

# 1. Sustainable rate, closed loop, after 20 s of the same to warm the JIT up (a cold JVM answers half as fast).
java "$here/SignedUrls.java" 1500000 > "$work/warm.paths"
taskset -c 1 wrk -t1 -c64 -d20s --timeout 10s -s "$here/cycle.lua" "$GATEWAY" -- "$work/warm.paths" 1 > /dev/null 2>&1
java "$here/SignedUrls.java" 1500000 > "$work/warm.paths"
taskset -c 1 wrk -t1 -c64 -d20s --timeout 10s -s "$here/cycle.lua" "$GATEWAY" -- "$work/warm.paths" 1 > "$work/warm.txt" 2>&1
rate=$(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "$work/warm.txt")
warm_non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$work/warm.txt"); warm_non2xx=${warm_non2xx:-0}
warm_ok=$(( $(wrk_field requests "$work/warm.txt") - warm_non2xx ))
rm -f "$work/warm.paths"
over_rate=$(awk -v r="$rate" -v f="$factor" 'BEGIN { printf "%d", r * f }')
after_rate=$(awk -v r="$rate" -v f="$after_factor" 'BEGIN { printf "%d", r * f }')
bench_log "sustainable (wrk, 64 connections, closed loop): $rate req/s; offering $over_rate/s for ${secs}s, then $after_rate/s for ${after_secs}s"
sleep 5   # let the grid settle after the warm-up

before_total=$(total_impressions)
shed_before=$(prom_sum '^adgrid_gateway_events_total\{.*reason="overloaded"')

# Heap used (all heap pools) every second, with the second since the load started (and the share of
# requests the gateway handles, requests pending).
( t=0; while :; do echo "$t $(prom_sum '^jvm_memory_used_bytes\{.*area="heap"') $(prom_max '^adgrid_gateway_admitted_share') $(prom_sum '^adgrid_gateway_pending_requests')"; sleep 1; t=$((t + 1)); done ) > "$work/heap.txt" 2>/dev/null &
sampler=$!
taskset -c 1 java "$here/OpenLoad.java" 127.0.0.1 "$GATEWAY_PORT" "$over_rate:$secs,$after_rate:$after_secs" "$conns" 10 50000 \
  > "$work/open.txt" 2> "$work/progress.txt" || { cat "$work/progress.txt" >&2; exit 1; }
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=""
sed 's/^/   /' "$work/progress.txt" >&2
echo "== samples (second, heap used bytes, admitted share, pending requests):" >&2
tr '\n' ';' < "$work/heap.txt" >&2; echo >&2

field() { awk -v p="phase=$1" -v k="$2=" '$1 == p { for (i = 1; i <= NF; i++) if (index($i, k) == 1) { v = substr($i, length(k) + 1); sub(/ms$/, "", v); print v; exit } }' "$work/open.txt"; }
heap_mb() { awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $2 > m { m = $2 } END { printf "%d", m / 1048576 }' "$work/heap.txt"; }
shed=$(( $(prom_sum '^adgrid_gateway_events_total\{.*reason="overloaded"') - shed_before ))

echo
echo "== overload (open loop): AdGrid on CPU 0, generator on CPU 1, $conns pipelined connections; max heap $((max_heap / 1048576)) MB"
echo "== load average (1, 5, 15 min) at start: $load_before; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sustainable rate (wrk, 64 connections, closed loop, 20 s): $rate req/s ($warm_ok 2xx, $warm_non2xx non-2xx)"
echo "| phase | offered/s | offered | not sent (generator cap) | 2xx | 2xx/s | 503 + Retry-After | 503 without | other | answered after 10 s | lost (connection closed) | unanswered | p50 ms | p99 ms | max heap used MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
ok_sum=0; unknown=0; start=0
for p in 1 2; do
  name=$([[ $p == 1 ]] && echo "overload ${factor}x" || echo "after ${after_factor}x")
  len=$(field $p seconds)
  ok=$(field $p ok); ok_sum=$((ok_sum + ok)); unknown=$((unknown + $(field $p lost) + $(field $p unanswered)))
  echo "| $name | $(field $p rate) | $(field $p offered) | $(field $p not_sent_cap) | $ok | $(field $p ok_per_s) | $(field $p shed_retry_after) | $(field $p shed_bare) | $(field $p other) | $(field $p late) | $(field $p lost) | $(field $p unanswered) | $(field $p p50) | $(field $p p99) | $(heap_mb "$start" $((start + len))) |"
  start=$((start + len))
done
echo "== generator: $(grep '^reconnects=' "$work/open.txt"), most late a request was sent: $(field 1 generator_lag_max) ms, $(field 2 generator_lag_max) ms" 
echo "== 503 overloaded counted by the gateway (adgrid_gateway_events_total reason=overloaded): $shed"
grep -q "OutOfMemoryError" "$VAR_DIR/adgrid.log" && echo "== OutOfMemoryError in AdGrid's log" || echo "== no OutOfMemoryError in AdGrid's log"
check_exact "$ok_sum" "$before_total" "$unknown"
