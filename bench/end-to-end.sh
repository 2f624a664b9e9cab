#!/usr/bin/env bash
# P2 + P6 + latency: a steady rate of signed GET /i (every request a new event) through HTTP -> grid ->
# PostgreSQL for a given time, sampled every INTERVAL seconds (events/s, heap, GC, write-behind keys,
# rows written per event), then exactness (live = db = SQL = sent) and, against the same PostgreSQL in
# the same run, the database-centred baseline (bench/UpsertBaseline.java) and the ratio.
#
# usage: bench/end-to-end.sh [rate=60000] [seconds=300] [connections=256] [wrk-threads=2]
#   P2: bench/end-to-end.sh 60000 300            P6 (heap flat): LIVE_HEAP=1 bench/end-to-end.sh 60000 600
#   Expects a running './adgrid run --demo' on :8080/:8081 (pid from the gateway port, PostgreSQL port
#   from $ADGRID_VAR_DIR/postgres.port), or BENCH_START=1 to start a private one and stop it afterwards
#   (bench/lib.sh). Needs wrk (Debian's: LuaJIT + libcrypto, bench/steady.lua signs on the fly), curl,
#   psql, java. WARMUP (30, 0 skips) seconds at the same rate before the measured run, left out of every
#   figure (exactness included); INTERVAL (30) sample period; BASELINE_SECS (30, 0 skips) and BASELINE_CONNS (8) for the
#   upsert baseline; COPY_ROWS (100000, a minute of demo keys; 0 skips) rows loaded with COPY (best of 3) into a
#   scratch copy of counter_minute in the same PostgreSQL, for P5's persister / COPY ratio.
#   wrk holds at most `connections` requests at once: give at least rate x latency.
#   Heap after GC and GC pauses come from the JVM's GC log, switched on for the run with
#   'jcmd PID VM.log' (and off at the end): the heap left after each pause. LIVE_HEAP=1 also forces a full GC
#   ('jcmd PID GC.run') before each row and prints the heap after it (the live set; these forced pauses are
#   left out of the GC figures). Live counter keys = unwritten keys of the write-behind
#   (overview writeBehind.backlogKeys, summed over the data members); rows/event = rows written / accepted events over the run, the last
#   figure read once the write-behind has written everything by itself (up to 120 s after the load).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
rate="${1:-60000}"; secs="${2:-300}"; conns="${3:-256}"; threads="${4:-2}"
interval="${INTERVAL:-30}"; live_heap="${LIVE_HEAP:-0}"; baseline_secs="${BASELINE_SECS:-30}"; baseline_conns="${BASELINE_CONNS:-8}"
copy_rows="${COPY_ROWS:-100000}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d)"; wrk_pid=""
trap '[[ -n "$wrk_pid" ]] && kill "$wrk_pid" 2>/dev/null; adgrid_down; rm -rf "$work"' EXIT
adgrid_up

accepted_total() { prom_sum '^adgrid_gateway_events_total[{].*outcome="accepted"'; }
rows_total() { prom_sum '^adgrid_writebehind_write_rows_sum'; }
write_secs() { prom_sum '^adgrid_writebehind_write_latency_seconds_sum' 6; }
heap_used() { prom_sum '^jvm_memory_used_bytes[{].*area="heap"'; }
# GC: the JVM's own log for the run, switched on with jcmd VM.log (no restart, no forced GC); a pause line
# "GC(7) Pause Young (Normal) (G1 Evacuation Pause) 301M->118M(512M) 3.456ms" gives the heap after it.
gclog="$work/gc.log"
gc_stats() { # from-line -> "pauses total_ms max_ms min_after_MB max_after_MB"
  awk -v from="$1" 'NR > from && / Pause / && /->/ && !/System.gc/ {
      ms = $NF; sub(/ms$/, "", ms); n++; tot += ms; if (ms > mx) mx = ms
      for (i = 1; i <= NF; i++) if ($i ~ /->/) { split($i, a, "->"); v = a[2]; sub(/\(.*/, "", v);
        u = substr(v, length(v)); v = v + 0; if (u == "K") v /= 1024; if (u == "G") v *= 1024
        if (lo == "" || v < lo) lo = v; if (v > hi) hi = v }
    } END { printf "%d %.1f %.1f %.0f %.0f\n", n, tot, mx, lo, hi }' "$gclog" 2>/dev/null || echo "0 0 0 0 0"
}

warm_up "$rate" "$conns" "$threads"
jcmd "$ADGRID_PID" VM.log output="file=$gclog" what=gc=info decorators=uptime >/dev/null
trap '[[ -n "$wrk_pid" ]] && kill "$wrk_pid" 2>/dev/null; jcmd "$ADGRID_PID" VM.log output="file=$gclog" what=all=off >/dev/null 2>&1; adgrid_down; rm -rf "$work"' EXIT
before=$(total_impressions)
acc0=$(accepted_total); rows0=$(rows_total); wsecs0=$(write_secs); cpu0=$(cpu_seconds)
bench_log "steady GET /i at $rate req/s for ${secs}s, $conns connections, $threads wrk threads"
wrk -t"$threads" -c"$conns" -d"${secs}s" -s "$here/steady.lua" "$GATEWAY" -- "$rate" "$threads" > "$work/wrk.txt" 2>&1 &
wrk_pid=$!
t0=$SECONDS; acc_prev=$acc0; t_prev=$t0
gc_line=0; lives=()
printf '| %6s | %10s | %19s | %9s | %8s | %9s | %10s | %9s | %8s | %9s |\n' "t (s)" "events/s" "heap after GC MB" "heap used" "live MB" "GC pauses" "GC max ms" "live keys" "rows/evt" "dedup MB" | tee "$work/table.txt"
printf '|---|---|---|---|---|---|---|---|---|---|\n' | tee -a "$work/table.txt"
sample() {
  local now acc rows hu live gc ov keys dedup eps
  now=$SECONDS; acc=$(accepted_total); rows=$(rows_total); hu=$(heap_used)
  live=-; (( live_heap )) && { live=$(( $(heap_after_full_gc) >> 20 )); lives+=("$live"); }
  read -r -a gc <<< "$(gc_stats "$gc_line")"; gc_line=$(wc -l < "$gclog" 2>/dev/null || echo 0)
  ov=$(overview || echo '{}'); keys=$(write_behind_field backlogKeys <<< "$ov"); dedup=$(write_behind_field dedupBytes <<< "$ov")
  eps=$(awk -v a="$acc" -v b="$acc_prev" -v t="$(( now - t_prev ))" 'BEGIN { printf "%.0f", (t > 0 ? (a - b) / t : 0) }')
  printf '| %6d | %10s | %19s | %6d MB | %8s | %9d | %10s | %9s | %8s | %9d |\n' $(( now - t0 )) "$eps" "$( (( gc[0] > 0 )) && echo "${gc[3]} - ${gc[4]}" || echo -)" $(( hu >> 20 )) "$live" \
    "${gc[0]}" "${gc[2]}" "$keys" "$(awk -v r="$(( rows - rows0 ))" -v a="$(( acc - acc0 ))" 'BEGIN { printf "%.4f", (a > 0 ? r / a : 0) }')" \
    $(( dedup >> 20 )) | tee -a "$work/table.txt"
  acc_prev=$acc; t_prev=$now
}
while kill -0 "$wrk_pid" 2>/dev/null; do
  for (( i = 0; i < interval && $(kill -0 "$wrk_pid" 2>/dev/null && echo 1 || echo 0); i++ )); do sleep 1; done
  kill -0 "$wrk_pid" 2>/dev/null && sample
done
wait "$wrk_pid" || true; wrk_pid=""
elapsed=$(wrk_field seconds "$work/wrk.txt")
sample
cpu=$(awk -v a="$(cpu_seconds)" -v b="$cpu0" 'BEGIN { printf "%.1f", a - b }')
# Rows per event counts every row the run's events cost: wait until the write-behind has written them
# all by itself (the open minute is held back until 5 s after it closes), at most 120 s.
for (( i = 0; i < 120; i++ )); do
  [[ $(overview | write_behind_field backlogKeys) == 0 ]] && break
  sleep 1
done
acc1=$(accepted_total); rows1=$(rows_total); wsecs1=$(write_secs); read -r -a gct <<< "$(gc_stats 0)"
requests=$(wrk_field requests "$work/wrk.txt"); errs=$(wrk_field status_errors "$work/wrk.txt")
sent=$(( requests - errs ))
exact=NO; check_exact "$sent" "$before" "$conns" && exact=yes
grep -q '^requests=' "$work/wrk.txt" || cat "$work/wrk.txt" >&2

eps=$(awk -v n="$(( acc1 - acc0 ))" -v s="$elapsed" 'BEGIN { printf "%.0f", n / s }')
persister_rps=$(awk -v r="$(( rows1 - rows0 ))" -v t="$wsecs1" -v t0="$wsecs0" 'BEGIN { printf "%.0f", (t > t0 ? r / (t - t0) : 0) }')
copy_rps="skipped"; copy_ratio="-"
if (( copy_rows > 0 )); then
  # P5's yardstick: raw COPY of demo-shaped rows (banner x publisher, one minute) into a plain table shaped
  # like counter_minute (LIKE ... INCLUDING ALL: same columns, key and indexes), same server, then dropped.
  copy_table="bench_copy_$$"
  awk -v n="$copy_rows" 'BEGIN { for (i = 0; i < n; i++) { b = i % 1000 + 1; printf "2000-01-01 00:%02d:00+00,%d,%d,%d,%d\n",
    int(i / 100000) % 60, b % 10 + 1, b, int(i / 1000) % 100 + 1, i % 97 + 1 } }' > "$work/copy.csv"
  copy_rps=0
  for round in 1 2 3; do   # the best of three, into a fresh table each time
    psql_value "CREATE TABLE $copy_table (LIKE counter_minute INCLUDING ALL)" >/dev/null
    copy_t0=$(date +%s.%N)
    psql_value "\\copy $copy_table (minute, campaign_id, banner_id, publisher_id, impressions) FROM '$work/copy.csv' WITH (FORMAT csv)" >/dev/null
    copy_t1=$(date +%s.%N)
    psql_value "DROP TABLE $copy_table" >/dev/null
    copy_rps=$(awk -v n="$copy_rows" -v a="$copy_t0" -v b="$copy_t1" -v best="$copy_rps" 'BEGIN { r = n / (b - a); printf "%.0f", (r > best ? r : best) }')
  done
  copy_ratio=$(awk -v p="$persister_rps" -v c="$copy_rps" 'BEGIN { printf "%.2f", p / c }')
fi
base="skipped"; ratio="-"
if (( baseline_secs > 0 )); then
  bench_log "baseline: one upsert per event into a scratch table, ${baseline_secs}s, $baseline_conns connections"
  java -cp "$(pg_driver_jar)" "$here/UpsertBaseline.java" --jdbc "$(jdbc_url)" --password "$(db_password)" --seconds "$baseline_secs" \
    --connections "$baseline_conns" > "$work/base.txt" 2>&1 || true
  base=$(wrk_field events_per_s "$work/base.txt"); base=${base:-failed}
  [[ $base != failed ]] && ratio=$(awk -v a="$eps" -v b="$base" 'BEGIN { printf "%.1f", a / b }')
  grep '^PostgreSQL' "$work/base.txt" >&2 || cat "$work/base.txt" >&2
fi

echo
echo "== P2 / P6 / latency: target $rate req/s for ${secs}s, $conns connections"
printf '| %-40s | %s |\n' "figure" "value" "---" "---" \
  "events/s sustained (accepted / wrk seconds)" "$eps" \
  "wrk requests / non-2xx / socket errors" "$requests / $errs / $(( $(wrk_field connect_errors "$work/wrk.txt") + $(wrk_field read_errors "$work/wrk.txt") + $(wrk_field write_errors "$work/wrk.txt") + $(wrk_field timeouts "$work/wrk.txt") ))" \
  "beacon latency p50 / p99 / p99.9 / max ms" "$(wrk_field p50 "$work/wrk.txt") / $(wrk_field p99 "$work/wrk.txt") / $(wrk_field p999 "$work/wrk.txt") / $(wrk_field max "$work/wrk.txt")" \
  "AdGrid CPU seconds (cores)" "$cpu ($(awk -v c="$cpu" -v s="$elapsed" 'BEGIN { printf "%.2f", c / s }'))" \
  "heap after GC min / max MB" "${gct[3]} / ${gct[4]}" \
  "GC pauses: count / total ms / max ms" "${gct[0]} / ${gct[1]} / ${gct[2]}" \
  "live heap after full GC, each row MB" "$( (( ${#lives[@]} )) && echo "${lives[*]}" || echo "- (LIVE_HEAP=1)")" \
  "rows written per accepted event (P5)" "$(awk -v r="$(( rows1 - rows0 ))" -v a="$(( acc1 - acc0 ))" 'BEGIN { printf "%.4f (1/%.0f)", (a > 0 ? r / a : 0), (r > 0 ? a / r : 0) }')" \
  "persister rows/s while writing (P5)" "$persister_rps ($(( rows1 - rows0 )) rows in $(awk -v t="$wsecs1" -v t0="$wsecs0" 'BEGIN { printf "%.2f", t - t0 }') s of write transactions)" \
  "raw COPY rows/s, same table shape (best of 3 x $copy_rows rows)" "$copy_rps" \
  "persister / COPY (P5: >= 0.5)" "$copy_ratio" \
  "exact (live = db = SQL = sent)" "$exact" \
  "baseline: upsert per event, events/s" "$base" \
  "ratio AdGrid / baseline (P2: >= 100)" "$ratio"
[[ $exact == yes ]]
