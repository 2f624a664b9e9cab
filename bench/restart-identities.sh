#!/usr/bin/env bash
# Issue 17.1: what keeping identities across a graceful stop costs. N impressions (default 1,000,000)
# through POST /events into one ./adgrid run --demo, Ctrl-C, start again: time to /healthz 200 and the
# identity replay's own time (log "replayed journal ... in N ms"), journal bytes per identity.
# usage: bench/restart-identities.sh [N]   (ports from ADGRID_GATEWAY_PORT etc., default 8080/8081/5701)
cd "$(dirname "$0")/.."
export ADGRID_VAR_DIR=${ADGRID_VAR_DIR:-$(mktemp -d)} ADGRID_GATEWAY_PORT=${ADGRID_GATEWAY_PORT:-8080} ADGRID_REPORTING_PORT=${ADGRID_REPORTING_PORT:-8081} ADGRID_GRID_PORT=${ADGRID_GRID_PORT:-5701}
export ADGRID_MEMBERS=127.0.0.1:$ADGRID_GRID_PORT ADGRID_GRID_CLUSTERNAME=identities-$RANDOM$RANDOM
N=${1:-1000000}
[ -z "$(ls -A "$ADGRID_VAR_DIR" 2>/dev/null)" ] || { echo "ADGRID_VAR_DIR $ADGRID_VAR_DIR is not empty: give an empty one" >&2; exit 1; }
wait_healthz() { local t0=$(date +%s.%N); for i in $(seq 1 600); do c=$(curl -s -o /dev/null -w '%{http_code}' localhost:$ADGRID_GATEWAY_PORT/healthz); [ "$c" = 200 ] && { echo "healthz 200 after $(echo "$(date +%s.%N) - $t0" | bc) s"; return 0; }; sleep 0.5; done; return 1; }
./adgrid run --demo > $ADGRID_VAR_DIR/../identities-m1.log 2>&1 & pid=$!
wait_healthz
java -Xmx2g bench/NdjsonLoad.java --url http://127.0.0.1:$ADGRID_GATEWAY_PORT --seconds 600 --connections 2 --per-request 5000 --events $N > $ADGRID_VAR_DIR/../identities-mload.txt 2>&1
tail -2 $ADGRID_VAR_DIR/../identities-mload.txt
echo "journal bytes: $(du -sb $ADGRID_VAR_DIR/journal | cut -f1)"; ls $ADGRID_VAR_DIR/journal/*/ | head
kill -TERM $pid; wait $pid
grep -E "kept until|dropped" $ADGRID_VAR_DIR/../identities-m1.log | cut -c1-250
echo "journal bytes after stop: $(du -sb $ADGRID_VAR_DIR/journal | cut -f1)"
./adgrid run --demo > $ADGRID_VAR_DIR/../identities-m2.log 2>&1 & pid=$!
wait_healthz
grep -E "replaying journal|replayed journal" $ADGRID_VAR_DIR/../identities-m2.log | cut -c1-330
kill -TERM $pid; wait $pid
