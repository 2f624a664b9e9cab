#!/usr/bin/env bash
# Where the CPU of a beacon goes: signed GET /i (every request a new event) at a steady rate, below
# saturation, and AdGrid's CPU per request by thread group (event loops, batcher, partition threads,
# Hazelcast's async threads, JIT, GC, ...) over the measured seconds, with the pacing monitor's grid
# read. CPU per request at a fixed rate moves far less with a busy neighbour than a saturated rate
# does, so two builds can be told apart on a shared box: run it once in each checkout, alternating.
#
# usage: bench/beacon-cpu.sh [rate=12000] [seconds=30] [connections=64]
#   Uses a running './adgrid run --demo' or starts one (BENCH_START=1 or jar, bench/lib.sh).
#   WARMUP (60) seconds at the same rate first, not measured (the JIT). Needs wrk (Debian's) and jcmd.
#   Thread CPU is the JVM's own per-thread figure (jcmd Thread.print, cpu=); threads that end during the
#   run are missing from it, so the groups may sum to a little less than the process.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
rate="${1:-12000}"; secs="${2:-30}"; conns="${3:-64}"
require_whole_numbers "bench/beacon-cpu.sh [rate] [seconds] [connections]" "$rate" "$secs" "$conns"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v jcmd >/dev/null || { echo "needs jcmd (a JDK)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'adgrid_down; rm -rf "$work"' EXIT
adgrid_up
WARMUP="${WARMUP:-60}" warm_up "$rate" "$conns" 1

# milliseconds of CPU per thread group ("hz.<instance>.partition-operation.thread-3" -> "hz partition-operation.thread")
thread_cpu() {
  jcmd "$ADGRID_PID" Thread.print | awk '
    /^"/ && match($0, /cpu=[0-9.]+ms/) {
      name = substr($0, 2); name = substr(name, 1, index(name, "\"") - 1)
      sub(/[-#]?[0-9]+(-[0-9]+)*$/, "", name); sub(/^hz\.[a-z_]+\./, "hz ", name)
      ms[name] += substr($0, RSTART + 4, RLENGTH - 6)
    }
    END { for (n in ms) printf "%s\t%.1f\n", n, ms[n] }' | sort
}
grid_read() { prom_sum "^adgrid_pacing_refresh_part_seconds_$1[{].*part=\"grid\"" "$2"; }

thread_cpu > "$work/before"; n0=$(total_impressions); g0=$(grid_read sum 6); k0=$(grid_read count 0); c0=$(cpu_seconds)
bench_log "measuring: GET /i at $rate req/s for ${secs}s, $conns connections"
wrk -t1 -c"$conns" -d"${secs}s" -s "$here/steady.lua" "$GATEWAY" -- "$rate" 1 > "$work/wrk.txt"
sleep 1   # answers of the requests wrk left in flight
thread_cpu > "$work/after"; n1=$(total_impressions); g1=$(grid_read sum 6); k1=$(grid_read count 0); c1=$(cpu_seconds)
n=$(( n1 - n0 ))
(( n > 0 )) || { echo "no impressions counted during the run" >&2; exit 1; }

echo "== AdGrid CPU per GET /i at $rate req/s: $n counted in ${secs}s; process $(awk -v c="$(echo "$c1 - $c0" | bc)" -v n="$n" 'BEGIN { printf "%.1f", c * 1e6 / n }') us a request"
echo "   pacing monitor's grid read: $(awk -v g="$(echo "$g1 - $g0" | bc)" -v k="$(( k1 - k0 ))" 'BEGIN { printf "%.2f ms mean over %d refreshes", k ? g * 1000 / k : 0, k }')"
join -t $'\t' -a 2 -e 0 -o 0,1.2,2.2 "$work/before" "$work/after" \
  | awk -F '\t' -v n="$n" '{ d = ($3 - $2) * 1000 / n; if (d >= 0.05) printf "%s\t%.1f\n", $1, d; t += d } END { printf "all threads\t%.1f\n", t }' \
  | sort -t $'\t' -k2,2 -rn | column -t -s $'\t' -N "thread group,us a request"
