#!/usr/bin/env bash
# P4, hot key: wrk against GET /i with every URL on ONE banner (one grid entry, one partition) against
# the same load spread over 1000 banners; same duration and connections; prints both rates, the ratio
# hot / spread (target >= 0.8) and the exactness of each run.
#
# usage: bench/hot-key.sh [seconds=20] [connections=64] [hot-banner-count=1]
#   Expects a running './adgrid run --demo' on :8080/:8081, or BENCH_START=1 to start a private one
#   from this checkout and stop it afterwards (bench/lib.sh: ports, var dir). Needs wrk, java, psql.
#   Like bench/wrk-beacons.sh: distinct signed URLs (bench/SignedUrls.java, enough for 150k req/s),
#   a 10 s warm-up (WARMUP=0 skips it), then each case with bench/cycle.lua, every request a new event.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
secs="${1:-20}"; conns="${2:-64}"; hot="${3:-1}"; threads=1; warmup="${WARMUP:-10}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'adgrid_down; rm -rf "$work"' EXIT
adgrid_up
count=$(( secs * 150000 + 100000 ))

if (( warmup > 0 )); then
  java "$here/SignedUrls.java" $(( warmup * 150000 )) 1000 > "$work/paths"
  bench_log "warm-up (${warmup}s, not measured)"
  wrk -t$threads -c"$conns" -d"${warmup}s" -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" $threads >/dev/null
fi

declare -A rate p50 p99 p999 non2xx answered exact
run_case() { # name banners
  local name="$1" banners="$2" before out="$work/$1.txt"
  java "$here/SignedUrls.java" "$count" "$banners" > "$work/paths"   # signed just before its run
  before=$(total_impressions)
  bench_log "$name: GET /i over $banners banner(s), ${secs}s, $conns connections"
  wrk -t$threads -c"$conns" -d"${secs}s" --latency -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" $threads | tee "$out" >&2
  rate[$name]=$(awk '/Requests\/sec/ {print $2}' "$out")
  non2xx[$name]=$(awk '/Non-2xx/ {print $NF}' "$out"); non2xx[$name]=${non2xx[$name]:-0}
  p50[$name]=$(wrk_field p50 "$out"); p99[$name]=$(wrk_field p99 "$out"); p999[$name]=$(wrk_field p999 "$out")
  answered[$name]=$(( $(wrk_field requests "$out") - ${non2xx[$name]} ))
  sleep 1
  if check_exact "${answered[$name]}" "$before" "$conns" >&2; then exact[$name]=yes; else exact[$name]=NO; fi
}
run_case spread 1000
run_case hot "$hot"

echo
echo "== P4 hot key, ${secs}s, $conns connections, 1 wrk thread"
echo "| case | banners | req/s | non-2xx | p50 / p99 / p99.9 ms | exact |"
echo "|---|---|---|---|---|---|"
echo "| spread | 1000 | ${rate[spread]} | ${non2xx[spread]} | ${p50[spread]} / ${p99[spread]} / ${p999[spread]} | ${exact[spread]} |"
echo "| hot | $hot | ${rate[hot]} | ${non2xx[hot]} | ${p50[hot]} / ${p99[hot]} / ${p999[hot]} | ${exact[hot]} |"
echo "== ratio hot / spread: $(awk -v h="${rate[hot]}" -v s="${rate[spread]}" 'BEGIN {printf "%.2f", h/s}') (target P4: >= 0.8)"
[[ ${exact[spread]} == yes && ${exact[hot]} == yes ]]
