#!/usr/bin/env bash
# P1, beacon throughput: wrk against GET /i, cycling through distinct signed URLs, against nginx
# answering 204 on the same box as the ceiling. Each round measures both ways, back to back:
#   unpinned  AdGrid, nginx and wrk share both cores, as the scheduler likes;
#   pinned    AdGrid (every thread) or nginx on CPU 0, wrk on CPU 1: the load generator no longer
#             takes the server's CPU, so the ratio compares the servers, one core each.
# usage: bench/wrk-beacons.sh [seconds] [connections] [rounds]
#   Uses a running './adgrid run --demo' on :8080, or starts one (BENCH_START=1 or jar, see bench/lib.sh).
#   Needs wrk, nginx and taskset; pinning needs 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
secs="${1:-20}"; conns="${2:-64}"; rounds="${3:-1}"
require_whole_numbers "bench/wrk-beacons.sh [seconds] [connections] [rounds]" "$secs" "$conns" "$rounds"
for tool in wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install wrk nginx util-linux)" >&2; exit 1; }
done
(( $(nproc) >= 2 )) || { echo "pinning needs 2 cores" >&2; exit 1; }
work="$(mktemp -d)"
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; adgrid_down; rm -rf "$work"' EXIT
adgrid_up

cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon on; pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:18080; location / { return 204; } } }
CONF
nginx -c "$work/nginx.conf"
sleep 0.5
nginx_pids() { local master; master=$(cat "$work/nginx.pid"); echo "$master $(pgrep -P "$master" | tr '\n' ' ')"; }

# Every thread of a process onto the given CPUs (new threads inherit it from the thread that makes them).
pin() { local cpus="$1"; shift; for pid in "$@"; do taskset -a -p -c "$cpus" "$pid" >/dev/null; done; }

# Enough distinct URLs that none repeats at 150k requests/s for a run, signed just before it.
count=$(( secs * 150000 + 100000 ))
fresh_urls() { java "$here/SignedUrls.java" "$count" > "$work/paths"; }

fresh_urls
bench_log "warm-up (10 s, not counted)"
wrk -t1 -c"$conns" -d10s -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" 1 > /dev/null

printf '%s\n' "round mode adgrid_req_s p50 p99 nginx_req_s ratio answered counted" > "$work/table"
failed=0
for round in $(seq "$rounds"); do
  for mode in unpinned pinned; do
    if [[ $mode == pinned ]]; then
      pin 0 "$ADGRID_PID"; pin 0 $(nginx_pids); load=(taskset -c 1)
    else
      pin 0-1 "$ADGRID_PID"; pin 0-1 $(nginx_pids); load=()
    fi
    fresh_urls   # warm-up and earlier runs' nonces would be replays
    before=$(total_impressions)
    bench_log "round $round, $mode: AdGrid GET /i, ${secs}s, $conns connections"
    "${load[@]}" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/cycle.lua" "$GATEWAY" -- "$work/paths" 1 > "$work/adgrid.txt"
    sleep 1   # answers of the requests wrk left in flight
    counted=$(( $(total_impressions) - before ))
    answered=$(wrk_field requests "$work/adgrid.txt")
    bench_log "round $round, $mode: nginx return 204, ${secs}s, $conns connections"
    "${load[@]}" wrk -t1 -c"$conns" -d"${secs}s" http://127.0.0.1:18080/ > "$work/nginx.txt"
    a=$(awk '/Requests\/sec/ {print $2}' "$work/adgrid.txt"); n=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.txt")
    ratio=$(awk -v a="$a" -v n="$n" 'BEGIN {printf "%.2f", a/n}')
    echo "$round $mode $a $(wrk_field p50 "$work/adgrid.txt") $(wrk_field p99 "$work/adgrid.txt") $n $ratio $answered $counted" >> "$work/table"
    # Every URL is distinct, so each answer is one count; wrk stops with up to one request per
    # connection in flight, which may be counted without wrk having read its answer.
    if (( counted < answered || counted > answered + conns )); then
      echo "NOT EXACT: round $round $mode: wrk got $answered answers, AdGrid counted $counted" >&2; failed=1
    fi
  done
done
pin 0-1 "$ADGRID_PID"
echo "== P1: AdGrid GET /i against nginx return 204 (p50/p99 in ms; counted may exceed answered by up to $conns in flight)"
column -t "$work/table"
exit "$failed"
