#!/usr/bin/env bash
# Beacon throughput: wrk against GET /i of a running './adgrid run --demo', cycling through
# distinct signed URLs, next to nginx answering 204 on the same box as the ceiling.
# usage: bench/wrk-beacons.sh [seconds] [connections]     (AdGrid must be running on :8080)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-20}"; conns="${2:-64}"; threads=1
work="$(mktemp -d)"; trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }

# Enough distinct URLs that none repeats at 150k requests/s for the run, signed just now.
count=$(( secs * 150000 + 100000 ))
java "$here/SignedUrls.java" "$count" > "$work/paths"

echo "== warm-up (10 s, not counted)"
wrk -t$threads -c$conns -d10s -s "$here/cycle.lua" http://127.0.0.1:8080 -- "$work/paths" $threads >/dev/null
java "$here/SignedUrls.java" "$count" > "$work/paths"   # fresh nonces: warm-up ones would be replays

total_impressions() {
  curl -s "http://127.0.0.1:8081/api/v1/stats?granularity=total&from=2000-01-01&to=2100-01-01" | sed -n 's/.*"impressions":\([0-9]*\).*/\1/p'
}
before=$(total_impressions)
echo "== AdGrid GET /i, ${secs}s, $conns connections"
wrk -t$threads -c$conns -d${secs}s --latency -s "$here/cycle.lua" http://127.0.0.1:8080 -- "$work/paths" $threads | tee "$work/adgrid.txt"
sleep 1
after=$(total_impressions)
answered=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' "$work/adgrid.txt")
# Every URL is distinct, so each answered request is one count; requests still in flight when
# wrk stopped (at most one per connection) may be counted without wrk having seen the answer.
echo "== exactness: wrk got $answered answers, AdGrid counted $((after - before)) new impressions (may exceed by up to $conns in-flight)"

if command -v nginx >/dev/null; then
  cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon on; pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:18080; location / { return 204; } } }
CONF
  nginx -c "$work/nginx.conf"
  echo "== nginx return 204 (the ceiling), ${secs}s, $conns connections"
  wrk -t$threads -c$conns -d${secs}s http://127.0.0.1:18080/ | tee "$work/nginx.txt"
  a=$(awk '/Requests\/sec/ {print $2}' "$work/adgrid.txt"); n=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.txt")
  echo "== AdGrid ${a} req/s, nginx ${n} req/s, ratio $(awk -v a="$a" -v n="$n" 'BEGIN {printf "%.2f", a/n}')"
fi
