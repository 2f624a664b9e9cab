#!/usr/bin/env bash
# Issue 4, fault 4: what the members' journal costs in steady state. Starts a private
# './adgrid run --demo' with the journal on, then off, alternately (ROUNDS pairs), and measures each:
# wrk on GET /i over 1000 banners (distinct signed URLs, as bench/wrk-beacons.sh), and POST /events
# (bench/NdjsonLoad.java, 5000 events a request) with AdGrid's own CPU time, so both the beacon rate
# and the events per AdGrid CPU-second compare. Prints each run, the medians and the ratios on/off,
# and the journal's bytes per event.
#
# usage: bench/journal-cost.sh [seconds=20] [connections=64] [rounds=3]
#   Needs wrk, java, psql (bench/lib.sh). One member: the journal writes one copy of each event (with
#   a backup member each member also journals its backup copies, the same bytes again).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export BENCH_START=1
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
secs="${1:-20}"; conns="${2:-64}"; rounds="${3:-3}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
count=$(( secs * 150000 + 100000 ))

results=()
one_run() { # journal: true|false
  BENCH_ADGRID_ENV="ADGRID_JOURNAL_ENABLED=$1" adgrid_up
  java "$here/SignedUrls.java" 1500000 1000 > "$work/paths"
  wrk -t1 -c"$conns" -d10s -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" 1 >/dev/null   # warm-up
  java "$here/SignedUrls.java" "$count" 1000 > "$work/paths"
  local before out="$work/wrk.txt" rate answered non2xx exact bytes
  before=$(total_impressions)
  wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" 1 > "$out"
  rate=$(awk '/Requests\/sec/ {print $2}' "$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$out"); non2xx=${non2xx:-0}
  answered=$(( $(wrk_field requests "$out") - non2xx ))
  sleep 1
  if check_exact "$answered" "$before" "$conns" >&2; then exact=yes; else exact=NO; fi
  java -Xmx2g "$here/NdjsonLoad.java" --url "$GATEWAY" --seconds 10 --connections 4 --per-request 5000 \
    --events 2000000 --pid "$ADGRID_PID" > "$work/load.txt" 2>&1 || true
  local summary per_core
  summary=$(tail -1 "$work/load.txt" | tr ' ' '\n')
  per_core=$(sed -n 's/^events_per_cpu_s=//p' <<< "$summary")
  bytes=$(prom_sum '^adgrid_journal_written_bytes')
  local events; events=$(total_impressions)
  results+=("$1 $rate $non2xx $exact ${per_core:-?} $bytes $events")
  bench_log "journal=$1: GET /i $rate req/s (non-2xx $non2xx, exact $exact); POST /events ${per_core:-?} events per CPU-second; journal ${bytes} bytes for ${events} events"
  adgrid_down
}
for ((r = 0; r < rounds; r++)); do one_run true; one_run false; done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "== journal cost: one member, GET /i ${secs}s at $conns connections, POST /events 10 s (5000 a request)"
echo "| journal | GET /i req/s | non-2xx | exact | /events events per CPU-second | journal bytes | events |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}" | awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
on_rate=$(printf '%s\n' "${results[@]}" | awk '$1 == "true" {print $2}' | median)
off_rate=$(printf '%s\n' "${results[@]}" | awk '$1 == "false" {print $2}' | median)
on_core=$(printf '%s\n' "${results[@]}" | awk '$1 == "true" {print $5}' | median)
off_core=$(printf '%s\n' "${results[@]}" | awk '$1 == "false" {print $5}' | median)
per_event=$(printf '%s\n' "${results[@]}" | awk '$1 == "true" && $7 > 0 { b += $6; e += $7 } END { if (e) printf "%.1f", b / e; else print "?" }')
echo "== medians: GET /i on $on_rate / off $off_rate req/s = $(awk -v a="$on_rate" -v b="$off_rate" 'BEGIN {printf "%.3f", a/b}');" \
     "/events on $on_core / off $off_core events per CPU-second = $(awk -v a="$on_core" -v b="$off_core" 'BEGIN {printf "%.3f", a/b}');" \
     "journal $per_event bytes an event (one copy)"
