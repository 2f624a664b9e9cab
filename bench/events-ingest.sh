#!/usr/bin/env bash
# P3, batch ingest: POST /events NDJSON (several thousand signed impressions a request) into the grid,
# events/s and events per AdGrid CPU-second (= events/s per core), then exactness.
#
# usage: bench/events-ingest.sh [seconds=10] [connections=4] [events-per-request=5000] [events=4000000]
#   Expects a running './adgrid run --demo' on :8080/:8081 (its JVM found by the gateway port), or
#   BENCH_START=1 to start a private one from this checkout and stop it afterwards (see bench/lib.sh for
#   ports, var dir and pid overrides). Needs java; psql for the SQL check.
#   The load generator (bench/NdjsonLoad.java) signs all events first (about 110 bytes each, in its own
#   heap: BENCH_CLIENT_XMX, default 3g), then posts them for at most `seconds`: size `events` so that the
#   bodies last the whole run (the client says when they ran out). The client shares the box, so read the
#   per-core figure (AdGrid's own CPU time from /proc/PID/stat) rather than the events/s.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
secs="${1:-10}"; conns="${2:-4}"; per="${3:-5000}"; events="${4:-4000000}"
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
adgrid_up

before=$(total_impressions)
bench_log "POST /events: $events events, $per a request, $conns connections, at most ${secs}s"
java -Xmx"${BENCH_CLIENT_XMX:-3g}" "$here/NdjsonLoad.java" --url "$GATEWAY" --seconds "$secs" --connections "$conns" \
  --per-request "$per" --events "$events" --pid "$ADGRID_PID" | tee "$work/load.txt" || true
summary=$(tail -1 "$work/load.txt" | tr ' ' '\n')
val() { sed -n "s/^$1=//p" <<< "$summary"; }
accepted=$(val accepted)

echo
echo "== P3 batch ingest (POST /events), ${secs}s max, $conns connections, $per events a request"
printf "| %-30s | %15s |\n" "figure" "value" "---" "---"
printf '| %-30s | %15s |\n' "events/s accepted" "$(val events_per_s)" "requests/s" "$(awk -v r="$(val requests)" -v s="$(val seconds)" 'BEGIN{printf "%.1f", r/s}')" \
  "request p50 / p99 ms" "$(val p50_ms) / $(val p99_ms)" "AdGrid CPU seconds" "$(val cpu_s)" \
  "events/s per core (P3)" "$(val events_per_cpu_s)" "sent / accepted" "$(val sent) / $accepted" \
  "failed requests / odd answers" "$(val failed_requests) / $(val unexpected_answers)"
check_exact "$accepted" "$before" 0
