#!/usr/bin/env bash
# P5, second half: rows/s of AdGrid's persister write path (CounterWriter: watermark + multi-row unnest
# upsert in one transaction) against a raw COPY of the same rows into the same table (counter_minute),
# at 1k, 10k and 100k rows; prints the ratio (target: persister >= 0.5 x COPY).
#
# usage: bench/copy-vs-persister.sh [sizes=1000,10000,100000] [rounds=3]
#   Needs nothing running: the benchmark (persister test source CopyVsPersisterBenchmark, outside the
#   default test suite) starts its own throwaway PostgreSQL (EmbeddedDatabase.startTemporary()).
#   Builds the persister module offline against the other modules installed in ~/.m2 (mvn -o).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-1000,10000,100000}"; rounds="${2:-3}"
log="$(mktemp)"; trap 'rm -f "$log"' EXIT
rm -f persister/target/copy-vs-persister.txt
if ! mvn -o -q -B -pl persister test -Dtest=CopyVsPersisterBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.sizes="$sizes" -Dbench.rounds="$rounds" > "$log" 2>&1; then
  cat "$log" >&2; exit 1
fi
cat persister/target/copy-vs-persister.txt
