#!/usr/bin/env bash
# P2's baseline: what a database-centred ad server does, one INSERT ... ON CONFLICT DO UPDATE per event
# (autocommit) into PostgreSQL, over k JDBC connections, at the demo's cardinality; prints events/s.
#
# usage: bench/upsert-baseline.sh [seconds=10] [connections=8]
#   Uses the PostgreSQL of a running './adgrid run' (its port from $ADGRID_VAR_DIR/postgres.port, default
#   ./var), or BENCH_JDBC=jdbc:postgresql://host:port/db (BENCH_DB_USER, BENCH_DB_PASSWORD) for another one,
#   or BENCH_START=1 to start a private AdGrid (and so its PostgreSQL) from this checkout for the run.
#   Writes only to a scratch table bench_upsert_<pid> (LIKE counter_minute INCLUDING ALL, not partitioned),
#   dropped afterwards: AdGrid's counters are never touched. Needs java and the project's PostgreSQL JDBC
#   driver in ~/.m2 (any Maven build of the project puts it there). bench/end-to-end.sh runs it too, so
#   the ratio of P2 comes from one run on one box.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
secs="${1:-10}"; conns="${2:-8}"
trap 'adgrid_down' EXIT
if [[ -z "${BENCH_JDBC:-}" && "${BENCH_START:-0}" == 1 ]]; then adgrid_up; fi
jdbc="${BENCH_JDBC:-$(jdbc_url)}"
jar="$(pg_driver_jar)"
[[ -f "$jar" ]] || { echo "no PostgreSQL JDBC driver at $jar (run a Maven build of the project once)" >&2; exit 1; }

bench_log "one upsert per event into a scratch copy of counter_minute, ${secs}s, $conns connections, $jdbc"
out="$(mktemp)"; trap 'adgrid_down; rm -f "$out"' EXIT
java -cp "$jar" "$here/UpsertBaseline.java" --jdbc "$jdbc" --user "${BENCH_DB_USER:-postgres}" --password "${BENCH_DB_PASSWORD:-$(db_password)}" \
  --seconds "$secs" --connections "$conns" | tee "$out"
line=$(tail -1 "$out")
echo
echo "| baseline | connections | seconds | events/s | statement p50 / p99 ms | sum = events |"
echo "|---|---|---|---|---|---|"
f() { wrk_field "$1" <(echo "$line"); }
echo "| upsert per event | $conns | $(f seconds) | $(f events_per_s) | $(f p50_ms) / $(f p99_ms) | $([[ $(f events) == $(f in_table) ]] && echo yes || echo NO) |"
