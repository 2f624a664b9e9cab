#!/usr/bin/env bash
# P3, batch ingest: POST /events NDJSON (several thousand impressions a request) into the grid,
# events/s and events per AdGrid CPU-second (= events/s per core), then exactness.
#
# usage: bench/events-ingest.sh [seconds=10] [connections=4] [events-per-request=5000] [events=4000000] [modes=line]
#   Expects a running './adgrid run --demo' on :8080/:8081 (its JVM found by the gateway port), or
#   BENCH_START=1 (or =jar) to start a private one from this checkout and stop it afterwards (see bench/lib.sh
#   for ports, var dir and pid overrides). Needs java and curl; psql for the SQL check.
#   modes: the runs to make one after the other against the same AdGrid, e.g. "line request line request":
#   line = every line signed on its own (sig), request = lines without sig in requests signed whole
#   (X-AdGrid-Signature, issue 23; the script makes a sender key for campaigns 1-10 through the admin API).
#   Alternate them so that both see a JVM as warm; the table gives each run and the ratio of the medians.
#   The load generator (bench/NdjsonLoad.java) makes all events of a run first (about 110 bytes each with a
#   sig, 60 without, in its own heap: BENCH_CLIENT_XMX, default 3g), then posts them for at most `seconds`:
#   size `events` so that the bodies last the whole run (the client says when they ran out). The client
#   shares the box, so read the per-core figure (AdGrid's own CPU time from /proc/PID/stat), not events/s.
#   BENCH_JFR_RUN=N with BENCH_JFR_FILE=path records run N with JFR (settings=profile) into that file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
secs="${1:-10}"; conns="${2:-4}"; per="${3:-5000}"; events="${4:-4000000}"; modes="${5:-line}"
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
adgrid_up

sender_args=()
if [[ " $modes " == *" request "* ]]; then
  kid="bench-$$-$RANDOM"
  curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"kid\":\"$kid\",\"campaigns\":[1,2,3,4,5,6,7,8,9,10]}" "$REPORTING/api/v1/admin/sender-keys" \
    | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' > "$work/sender.secret"
  [[ -s "$work/sender.secret" ]] || { echo "could not create a sender key" >&2; exit 1; }
  sender_args=(--sender-kid "$kid" --sender-secret-file "$work/sender.secret")
  bench_log "sender key $kid made; waiting for the gateway's catalog refresh"
  deadline=$((SECONDS + 60))
  until [[ "$(ts=$(date +%s%3N); sig=$( (printf 'AGS1\nPOST\n/events\n%s\n%s\n' "$kid" "$ts") | openssl dgst -sha256 \
        -hmac "$(cat "$work/sender.secret")" -binary | basenc --base64url | tr -d '='); curl -s -o /dev/null -w '%{http_code}' \
        -H "X-AdGrid-Signature: kid=$kid, ts=$ts, sig=$sig" --data-binary '' "$GATEWAY/events")" == 200 ]]; do
    (( SECONDS < deadline )) || { echo "the gateway did not learn sender key $kid" >&2; exit 1; }
    sleep 1
  done
fi

before=$(total_impressions)
total=0; run=0
for mode in $modes; do
  run=$((run + 1))
  bench_log "run $run ($mode-signed): $events events, $per a request, $conns connections, at most ${secs}s"
  extra=(); [[ $mode == request ]] && extra=("${sender_args[@]}")
  if [[ "${BENCH_JFR_RUN:-0}" == "$run" ]]; then
    # started once the client has made its bodies (a few seconds), so the recording covers the sending
    (sleep "${BENCH_JFR_DELAY:-8}"; jcmd "$ADGRID_PID" JFR.start name=bench settings=profile duration="${secs}s" \
      filename="$BENCH_JFR_FILE" > /dev/null) &
  fi
  java -Xmx"${BENCH_CLIENT_XMX:-3g}" "$here/NdjsonLoad.java" --url "$GATEWAY" --seconds "$secs" --connections "$conns" \
    --per-request "$per" --events "$events" --pid "$ADGRID_PID" --mode "$mode" "${extra[@]}" | tee "$work/load-$run.txt" || true
  echo "$mode $(tail -1 "$work/load-$run.txt")" >> "$work/runs.txt"
  total=$((total + $(tail -1 "$work/load-$run.txt" | tr ' ' '\n' | sed -n 's/^accepted=//p')))
done

val() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; }
echo
echo "== P3 batch ingest (POST /events), ${secs}s max a run, $conns connections, $per events a request"
printf "| %-4s | %-8s | %12s | %24s | %14s | %18s |\n" "run" "signed" "events/s" "events per AdGrid CPU-s" "p50 / p99 ms" "failed / odd"
printf "|%s|%s|%s|%s|%s|%s|\n" "------" "----------" "--------------" "--------------------------" "----------------" "--------------------"
n=0
while read -r mode line; do
  n=$((n + 1))
  printf "| %-4s | %-8s | %12s | %24s | %14s | %18s |\n" "$n" "$mode" "$(val events_per_s "$line")" "$(val events_per_cpu_s "$line")" \
    "$(val p50_ms "$line") / $(val p99_ms "$line")" "$(val failed_requests "$line") / $(val unexpected_answers "$line")"
done < "$work/runs.txt"
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for mode in line request; do
  m=$(grep "^$mode " "$work/runs.txt" | while read -r _ line; do val events_per_cpu_s "$line"; done | median)
  eval "median_$mode=$m"
  [[ "$m" != 0 ]] && echo "median events per AdGrid CPU-second, $mode-signed: $m"
done
if [[ "${median_line:-0}" != 0 && "${median_request:-0}" != 0 ]]; then
  awk -v r="$median_request" -v l="$median_line" 'BEGIN { printf "request-signed / line-signed: %.2f\n", r / l }'
fi
check_exact "$total" "$before" 0
