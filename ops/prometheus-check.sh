#!/usr/bin/env bash
# Starts a real Prometheus (Debian's `prometheus` package: apt-get install -y prometheus) against a
# running AdGrid, sends a few signed demo beacons, and asks PromQL for the event rate:
#
#   ./adgrid run --demo                 # in another terminal
#   ops/prometheus-check.sh             # exits 0 when sum(rate(adgrid_gateway_events_total[1m])) > 0
#
# Options (defaults fit `./adgrid run --demo` on this host):
#   --reporting HOST:PORT   reporting port to scrape          (localhost:8081)
#   --metrics HOST:PORT,... node/gateway metrics ports to scrape (none)
#   --gateway URL           where beacons go                   (http://localhost:8080)
#   --beacons N             demo impressions to send; 0 sends none and only queries (40)
#   --port PORT             Prometheus's own port              (19090)
#   --keep                  leave Prometheus running afterwards (its UI at http://localhost:PORT/)
# Beacons are signed for the demo catalog (campaign c's secret is demo-secret-c) with openssl.
# Prometheus keeps its data in a temporary directory, removed at exit; it never leaves loopback
# unless a target is elsewhere.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

reporting=localhost:8081
metrics=""
gateway=http://localhost:8080
beacons=40
port=19090
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --reporting) reporting="$2"; shift 2 ;;
    --metrics) metrics="$2"; shift 2 ;;
    --gateway) gateway="$2"; shift 2 ;;
    --beacons) beacons="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --keep) keep=true; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in prometheus curl python3; do
  command -v "$tool" >/dev/null || { echo "prometheus-check: '$tool' is missing (apt-get install -y prometheus curl python3)" >&2; exit 2; }
done
[ "$beacons" -eq 0 ] || command -v openssl >/dev/null || { echo "prometheus-check: openssl is needed to sign beacons" >&2; exit 2; }
curl -fsS -o /dev/null "http://$reporting/actuator/prometheus" \
  || { echo "prometheus-check: no AdGrid metrics at http://$reporting/actuator/prometheus (is ./adgrid run --demo running?)" >&2; exit 1; }

work="$(mktemp -d -t adgrid-prometheus.XXXXXX)"
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ] && [ "$keep" = false ]; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  [ "$keep" = true ] || rm -rf "$work"
}
trap cleanup EXIT

# The repository's scrape configuration, with this run's targets.
targets="'$reporting'"
IFS=',' read -ra extra <<< "$metrics"
for t in "${extra[@]}"; do [ -n "$t" ] && targets="$targets, '$t'"; done
cp "$here/prometheus/adgrid-rules.yml" "$work/"
sed -e "/static_configs:/,\$d" "$here/prometheus/prometheus.yml" > "$work/prometheus.yml"
cat >> "$work/prometheus.yml" <<EOF
    static_configs:
      - targets: [$targets]
EOF

prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn > "$work/prometheus.log" 2>&1 &
prom_pid=$!
api="http://127.0.0.1:$port/api/v1"

query() { # prints the first result's value of an instant query, or nothing
  curl -fsS --get "$api/query" --data-urlencode "query=$1" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

echo "prometheus-check: Prometheus on 127.0.0.1:$port scraping $targets every 5 s"
for _ in $(seq 1 60); do
  up=$(curl -fsS "$api/query?query=up" 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["data"]["result"] if r["value"][1]=="1"))' 2>/dev/null || echo 0)
  [ "${up:-0}" -ge 1 ] && break
  kill -0 "$prom_pid" 2>/dev/null || { echo "prometheus-check: Prometheus stopped:" >&2; cat "$work/prometheus.log" >&2; exit 1; }
  sleep 1
done
[ "${up:-0}" -ge 1 ] || { echo "prometheus-check: no target up after 60 s" >&2; exit 1; }
echo "prometheus-check: $up target(s) up"

sign() { # sign b p ts n -> query string (demo catalog secrets)
  local b=$1 p=$2 ts=$3 n=$4 c sig
  c=$(( (b - 1) % 10 + 1 ))
  sig=$(printf 'b=%s&n=%s&p=%s&ts=%s' "$b" "$n" "$p" "$ts" \
        | openssl dgst -sha256 -hmac "demo-secret-$c" -binary | base64 | tr '+/' '-_' | tr -d '=\n')
  printf 'b=%s&p=%s&ts=%s&n=%s&sig=%s' "$b" "$p" "$ts" "$n" "$sig"
}

if [ "$beacons" -gt 0 ]; then
  echo "prometheus-check: sending $beacons demo impressions to $gateway over about $(( beacons / 4 + 1 )) s"
  ok=0
  for i in $(seq 1 "$beacons"); do
    ts=$(( $(date +%s%N) / 1000000 ))
    code=$(curl -s -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' "$gateway/i?$(sign $(( i % 1000 + 1 )) $(( i % 100 + 1 )) "$ts" "promcheck-$$-$i")")
    [ "$code" = 200 ] && ok=$((ok + 1))
    sleep 0.25
  done
  echo "prometheus-check: $ok of $beacons answered 200"
  sleep 12 # two more scrapes, so the last beacons are in a rate window
fi

expr='sum(rate(adgrid_gateway_events_total{outcome="accepted"}[1m]))'
rate=$(query "$expr")
total=$(query 'sum(adgrid_gateway_events_total{outcome="accepted"})')
echo "prometheus-check: $expr = ${rate:-no data} events/s (accepted so far: ${total:-none})"
if [ "$keep" = true ]; then
  echo "prometheus-check: Prometheus keeps running (pid $prom_pid) at http://127.0.0.1:$port/, data in $work"
fi
if [ "$beacons" -gt 0 ]; then
  python3 -c "import sys; sys.exit(0 if float('${rate:-0}') > 0 else 1)" \
    || { echo "prometheus-check: FAILED: no event rate" >&2; exit 1; }
fi
echo "prometheus-check: OK"
