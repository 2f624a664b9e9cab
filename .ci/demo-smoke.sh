#!/usr/bin/env bash
# Smoke test of the first run a user makes, on the java of JAVA_HOME (else of the PATH):
# `./adgrid run --demo` in a fresh var directory must get ready, count one signed impression (live,
# then in PostgreSQL after an admin flush), and exit cleanly on SIGTERM. .ci/run runs it on JDK 25.
#
# Ports and cluster name come from the usual variables (ADGRID_GATEWAY_PORT, ADGRID_REPORTING_PORT,
# ADGRID_GRID_PORT, ADGRID_GRID_CLUSTERNAME); unset, free ports are picked and the cluster name is
# unique, so the smoke never joins another cluster on a shared machine. ADGRID_SMOKE_TIMEOUT (s,
# default 300) bounds the wait for ready.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "demo-smoke: FAILED: $*" >&2; exit 1; }

# A port nobody listens on, from a random start in 20000-29999.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}

var_dir=$(mktemp -d "${TMPDIR:-/tmp}/adgrid-smoke.XXXXXX")
log="$var_dir/run.log"
export ADGRID_VAR_DIR="$var_dir"
export ADGRID_GATEWAY_PORT="${ADGRID_GATEWAY_PORT:-$(free_port)}"
export ADGRID_REPORTING_PORT="${ADGRID_REPORTING_PORT:-$(free_port)}"
export ADGRID_GRID_PORT="${ADGRID_GRID_PORT:-$(free_port)}"
export ADGRID_MEMBERS="127.0.0.1:$ADGRID_GRID_PORT"
export ADGRID_GRID_CLUSTERNAME="${ADGRID_GRID_CLUSTERNAME:-smoke-$$-$RANDOM}"
export ADGRID_ADMIN_TOKEN="smoke-$RANDOM$RANDOM"
export ADGRID_GATEWAY_URL="http://localhost:$ADGRID_GATEWAY_PORT"
reporting="http://localhost:$ADGRID_REPORTING_PORT"
deadline=$((SECONDS + ${ADGRID_SMOKE_TIMEOUT:-300}))

pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [ "${keep_log:-}" ]; then
    echo "--- end of $log ---" >&2; tail -n 60 "$log" >&2 || true
  fi
  rm -rf "$var_dir"
}
trap cleanup EXIT
keep_log=1

"${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -1
echo "demo-smoke: ./adgrid run --demo, gateway :$ADGRID_GATEWAY_PORT, reporting :$ADGRID_REPORTING_PORT, grid :$ADGRID_GRID_PORT, var $var_dir"
./adgrid run --demo >"$log" 2>&1 &
pid=$!   # the launcher execs java: this is the JVM

until grep -q '=== AdGrid run is ready ===' "$log"; do
  kill -0 "$pid" 2>/dev/null || fail "adgrid run exited before it was ready"
  [ $SECONDS -lt $deadline ] || fail "not ready within ${ADGRID_SMOKE_TIMEOUT:-300} s"
  sleep 1
done
echo "demo-smoke: ready after ${SECONDS} s"

# The banner's own "try:" line, run as a newcomer pastes it (its curl sends a browser's User-Agent:
# curl's own is a known robot's, counted as invalid, not as an impression).
try=$(sed -n 's/^  demo *try: //p' "$log" | head -n 1)
[ -n "$try" ] || fail "the ready banner shows no try: line"
status=$(eval "$try -s -o /dev/null -w '%{http_code}'")
[ "$status" = 200 ] || fail "the banner's try line answered $status, not 200 ($try)"

impressions() {  # campaign 7's impressions in the stats of the last 24 hours ($1: extra parameters)
  curl -s "$reporting/api/v1/stats?campaign=7&granularity=total$1" | grep -o '"impressions":[0-9]*' | cut -d: -f2 | head -n 1
}
live=$(impressions "")
[ "$live" = 1 ] || fail "live stats show ${live:-no} impressions for campaign 7, not 1"
curl -sf -X POST -H "Authorization: Bearer $ADGRID_ADMIN_TOKEN" "$reporting/api/v1/admin/flush" >/dev/null \
  || fail "admin flush refused"
in_db=$(impressions "&source=db")
[ "$in_db" = 1 ] || fail "PostgreSQL holds ${in_db:-no} impressions for campaign 7 after the flush, not 1"
echo "demo-smoke: the banner's signed impression counted (live: $live, in PostgreSQL after a flush: $in_db)"

kill -TERM "$pid"
stop_deadline=$((SECONDS + 120))
while kill -0 "$pid" 2>/dev/null; do
  [ $SECONDS -lt $stop_deadline ] || fail "still running 120 s after SIGTERM"
  sleep 1
done
code=0; wait "$pid" || code=$?
pid=
# The JVM answers SIGTERM by running its shutdown hooks and exiting with 128 + 15.
[ "$code" = 143 ] || [ "$code" = 0 ] || fail "exit code $code after SIGTERM"
grep -q 'GracefulShutdown .*flushed' "$log" || fail "no graceful flush logged after SIGTERM"
[ ! -e "$var_dir/pgdata/postmaster.pid" ] || fail "the embedded PostgreSQL was left running"
if grep -E '^[0-9:.]+ ERROR|Exception in thread' "$log"; then fail "errors in the log"; fi
keep_log=
echo "demo-smoke: OK (clean exit $code after SIGTERM, ${SECONDS} s in all)"
