#!/usr/bin/env bash
# Issue 22: reports at size. Fills AdGrid's PostgreSQL with a long tail (banners drawn Zipf-like from
# BANNERS, publishers from PUBLISHERS, 1,000 campaigns), DAYS days of minute rows (MINUTE_ROWS_PER_DAY
# a day) plus hour rows for the rest of a year, then times three reports through the reporting API,
# first read from minutes only (the design before rollups: rollup_state says nothing is rolled), then
# after the rollup job rolled them (hours, days), on the same data in the same run:
#   Q1 a campaign's 30-day hourly report, Q2 the top-100 banners of a day (Q2s: ranked by spend, which reads every
#   banner of the day), Q3 a 90-day daily CSV of a campaign.
# Prints per query p50/p99 over RUNS requests, then bytes per row of each table and the storage arithmetic of docs/SCALING.md.
#
# usage: BENCH_START=1 bench/report-size.sh        (starts a private AdGrid; see bench/lib.sh)
#   DAYS=90 MINUTE_ROWS_PER_DAY=300000 HOUR_ROWS_PER_DAY=200000 BANNERS=100000 PUBLISHERS=1000 RUNS=30 SEED=22
# The ROWS_PER_DAY are draws: a (banner, publisher) pair drawn again in its minute or hour is written once,
# so the issue's full size, 100 M minute rows in DAYS=7, takes MINUTE_ROWS_PER_DAY=16750000 (14000000 gives
# 85 M). The fill is COPY from bench/ReportFill.java: about 85,000 minute rows/s and 145,000 hour rows/s on
# the 2-core box, so that size fills in about 20 min (22 GB) plus 7 min for the year of hours at 200,000 a day
# (62 M rows, 13 GB); the defaults are smaller, and the figures say which size they were measured at.
# After each timing, one request of each query is run with PostgreSQL logging its statements, and those
# statements are run again under EXPLAIN (ANALYZE, BUFFERS) (bench/report-explain.py; plans in PLANS,
# default /tmp/report-size-plans.txt): rows read and buffers per query, and how much of the API's time is SQL.
#   KEEP=1  leave the started AdGrid and its database running at the end (prints how to reach and stop it)
#   FILL_ONLY=1  stop after the fill: print each table's rows, seconds and rows/s, bytes and bytes per row (with KEEP=1
#           the database stays up for a look)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
DAYS="${DAYS:-90}"; MROWS="${MINUTE_ROWS_PER_DAY:-300000}"; HROWS="${HOUR_ROWS_PER_DAY:-200000}"
BANNERS="${BANNERS:-100000}"; PUBLISHERS="${PUBLISHERS:-1000}"; RUNS="${RUNS:-30}"; SEED="${SEED:-22}"
export BENCH_ADGRID_ENV="${BENCH_ADGRID_ENV:-ADGRID_ROLLUP_INTERVAL=24h}"   # the script runs the job itself
PLANS="${PLANS:-/tmp/report-size-plans.txt}"
trap '[[ "${KEEP:-0}" == 1 ]] || adgrid_down' EXIT
adgrid_up
export PGHOST=127.0.0.1 PGPORT="$(pg_port)" PGUSER=postgres PGPASSWORD="$(db_password)"
: > "$PLANS"

sql() { psql_value "$1"; }
now_ms() { date +%s%3N; }
# Fills a table with COPY from bench/ReportFill.java (its arguments after the table) and says how many rows
# it wrote, in how long: fill_rows TABLE TIME_COLUMN REPORTFILL_ARGS...
fill_rows() {
  local table="$1" column="$2" t n; shift 2
  t=$(now_ms)
  n=$(java "$here/ReportFill.java" "$@" --banners "$BANNERS" --publishers "$PUBLISHERS" \
      | psql -d postgres -Atc "COPY $table ($column, campaign_id, banner_id, publisher_id, impressions, clicks, conversions, revenue_micros)
                               FROM STDIN (FORMAT csv)" | awk '{ print $NF }')
  t=$(( $(now_ms) - t ))
  bench_log "$table: $n rows in $(awk -v t="$t" 'BEGIN { printf "%.1f", t / 1000 }') s, $(( n * 1000 / (t > 0 ? t : 1) )) rows/s"
}
today=$(date -u +%F)
first=$(date -u -d "$today - $DAYS days" +%F)
year_ago=$(date -u -d "$today - 365 days" +%F)
bench_log "filling: $DAYS days of minutes ($MROWS rows a day) from $first, hours from $year_ago ($HROWS rows a day)"
t0=$SECONDS
sql "SELECT ensure_counter_partitions('$first'::date, $DAYS + 1)" >/dev/null
# Zipf-like ids: exp(random * ln N) is log-uniform, so id k is drawn with probability about 1/(k ln N) (ReportFill.java:
# the distributions, and each minute's and hour's repeated (banner, publisher) pairs written once, as COPY has no ON CONFLICT).
# In time order: COPY fills one day partition after the other (the old INSERT cycled through every day's indexes).
fill_rows counter_minute minute --table minute --from "${first}T00:00:00Z" --slots $((DAYS * 1440)) --rows $((DAYS * MROWS)) --seed "$SEED"
sql "SELECT ensure_rollup_partition('counter_hour', m) FROM generate_series('$year_ago'::timestamptz, '$first'::timestamptz, interval '1 month') m" >/dev/null
sql "SELECT ensure_rollup_partition('counter_hour', '$first'::timestamptz)" >/dev/null
fill_rows counter_hour hour --table hour --from "${year_ago}T00:00:00Z" --slots $(((365 - DAYS) * 24)) --rows $(((365 - DAYS) * HROWS)) \
  --seed $((SEED + 1))
sql "ANALYZE" >/dev/null
declare -A filled=([counter_minute]=$(sql "SELECT count(*) FROM counter_minute") [counter_hour]=$(sql "SELECT count(*) FROM counter_hour"))
bench_log "filled in $((SECONDS - t0)) s: ${filled[counter_minute]} minute rows, ${filled[counter_hour]} hour rows"
if [[ "${FILL_ONLY:-0}" == 1 ]]; then
  for t in counter_minute counter_hour; do
    rows=${filled[$t]}
    bytes=$(sql "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '$t'")
    bench_log "$t: $rows rows, $bytes bytes with indexes, $(( rows > 0 ? bytes / rows : 0 )) bytes a row"
  done
  [[ "${KEEP:-0}" == 1 && -n "$STARTED_VAR" ]] && bench_log "kept running (KEEP=1): AdGrid pid $ADGRID_PID, var $VAR_DIR, psql -h 127.0.0.1 -p $PGPORT -U postgres; stop it with: kill -TERM $ADGRID_PID; then rm -rf $VAR_DIR"
  exit 0
fi

campaign=$(sql "SELECT campaign_id FROM counter_minute GROUP BY 1 ORDER BY sum(impressions) DESC LIMIT 1")
now_hour=$(date -u +%Y-%m-%dT%H:00:00Z)
q1="$REPORTING/api/v1/stats?campaign=$campaign&from=$(date -u -d "$today - 30 days" +%F)T00:00:00Z&to=$now_hour&granularity=hour"
q2="$REPORTING/api/v1/top?dimension=banner&metric=impressions&limit=100&from=$(date -u -d "$today - 2 days" +%F)&to=$(date -u -d "$today - 1 days" +%F)"
q3="$REPORTING/api/v1/stats?campaign=$campaign&from=$(date -u -d "$today - 90 days" +%F)&to=$today&granularity=day&format=csv"
# Q2 ranked by spend: spend is priced row by row in Java, so this top list still reads every banner of the day
# (the design before PostgreSQL ranked the counts, issue 22): the same request's cost without the ranking.
q2s="${q2/metric=impressions/metric=spend}"

# p50 and p99 of RUNS requests (ms).
time_query() {
  local url="$1" times=()
  curl -sf -o /dev/null "$url" || { echo "query failed: $url" >&2; curl -s "$url" | head -c 300 >&2; return 1; }
  for ((i = 0; i < RUNS; i++)); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url")"); done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 * 1000 }
      END { p99 = int(NR * 0.99 + 0.999); if (p99 > NR) p99 = NR; printf "%.1f | %.1f", t[int((NR + 1) / 2)], t[p99] }'
}

# One request with PostgreSQL logging its statements, then those statements under EXPLAIN (see the top).
# Prints: label|statements|tables|SQL ms as logged|EXPLAIN ms custom plan|generic plan|rows read by scans|shared buffers|
#         the same three without summaries|API ms
explain_query() {
  local label="$1" url="$2" off api
  sql "ALTER SYSTEM SET log_min_duration_statement = 0" >/dev/null; sql "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  off=$(stat -c %s "$VAR_DIR/postgres.log")
  api=$(curl -s -o /dev/null -w '%{time_total}' "$url" | awk '{ printf "%.1f", $1 * 1000 }')
  sleep 1
  sql "ALTER SYSTEM RESET log_min_duration_statement" >/dev/null; sql "SELECT pg_reload_conf()" >/dev/null
  echo "$(python3 "$here/report-explain.py" "$VAR_DIR/postgres.log" "$off" "$label" "$PLANS")|$api"
}

# The year's hours before the minutes are rolled into days as the job would have (it rolls from the boundary on).
sql "SELECT ensure_rollup_partition('counter_day', '$year_ago'::timestamptz), ensure_rollup_partition('counter_day', '$first'::timestamptz)" >/dev/null
sql "INSERT INTO counter_day (day, campaign_id, banner_id, publisher_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
     SELECT date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', campaign_id, banner_id, publisher_id, sum(impressions),
            sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
     FROM counter_hour WHERE hour < '$first' GROUP BY 1, 2, 3, 4" >/dev/null
# Their summaries (V14), as the job writes them with each roll.
sql "SELECT ensure_rollup_partition('campaign_hour', m) FROM generate_series('$year_ago'::timestamptz, '$first'::timestamptz, interval '1 month') m" >/dev/null
sql "SELECT ensure_rollup_partition(t, d) FROM (VALUES ('campaign_day'), ('banner_day')) v(t), (VALUES ('$year_ago'::timestamptz), ('$first'::timestamptz)) w(d)" >/dev/null
sql "INSERT INTO campaign_hour (hour, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
     SELECT hour, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
     FROM counter_hour WHERE hour < '$first' GROUP BY 1, 2" >/dev/null
sql "INSERT INTO campaign_day (day, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
     SELECT day, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
     FROM counter_day GROUP BY 1, 2" >/dev/null
sql "INSERT INTO banner_day (day, banner_id, campaign_id, impressions, clicks, conversions, revenue_micros, suspect_clicks)
     SELECT day, banner_id, campaign_id, sum(impressions), sum(clicks), sum(conversions), sum(revenue_micros), sum(suspect_clicks)
     FROM counter_day GROUP BY 1, 2, 3" >/dev/null
sql "ANALYZE campaign_hour, campaign_day, banner_day, counter_day" >/dev/null

# Before: rollup_state says nothing is rolled, so every report reads minutes (the old design).
before_state=$(sql "SELECT minutes_from || '|' || hours_from || '|' || hours_until || '|' || days_until FROM rollup_state")
sql "UPDATE rollup_state SET minutes_from = 'epoch', hours_from = 'epoch', hours_until = '$first', days_until = '$first'" >/dev/null
declare -A before
for q in q1 q2 q2s q3; do before[$q]=$(time_query "${!q}"); done
declare -A explained
for q in q1 q2 q2s q3; do explained[before_$q]=$(explain_query "before $q" "${!q}"); done

# After: roll every closed hour and day (the job, run as AdGrid runs it, until it catches up).
bench_log "rolling up $DAYS days (the job rolls 48 hours a run)"
t0=$SECONDS
while :; do
  r=$(curl -sf -X POST -H "Authorization: Bearer $ADMIN_TOKEN" "$REPORTING/api/v1/admin/rollup")
  echo "$r" >&2
  [[ "$r" == *'"hours":0'* && "$r" == *'"days":0'* ]] && break
done
roll_secs=$((SECONDS - t0))
sql "ANALYZE" >/dev/null   # as autovacuum would have by now: the job wrote most of the hour and day rows
declare -A after
for q in q1 q2 q2s q3; do after[$q]=$(time_query "${!q}"); done
for q in q1 q2 q2s q3; do explained[after_$q]=$(explain_query "after $q" "${!q}"); done

echo
echo "size: $DAYS days x $MROWS minute rows a day, 365 days of hours ($HROWS rows a day), $BANNERS banners, $PUBLISHERS publishers; rollup of the minutes took ${roll_secs}s"
echo
echo "| query | before: p50 ms | p99 ms | after: p50 ms | p99 ms |"
echo "|---|---|---|---|---|"
echo "| Q1 campaign $campaign, 30 days hourly | ${before[q1]} | ${after[q1]} |"
echo "| Q2 top-100 banners of a day | ${before[q2]} | ${after[q2]} |"
echo "| Q2 by spend (every banner read) | ${before[q2s]} | ${after[q2s]} |"
echo "| Q3 campaign $campaign, 90 days daily CSV | ${before[q3]} | ${after[q3]} |"
echo
echo "One request each, PostgreSQL logging its statements; then each statement under EXPLAIN (ANALYZE, BUFFERS) (plans: $PLANS):"
echo
echo "| query | statements | tables read | API ms | SQL ms (logged) | EXPLAIN ms, custom plan | generic plan | rows read by scans | shared buffers | without summaries: EXPLAIN ms | rows | buffers |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for k in before_q1 before_q2 before_q2s before_q3 after_q1 after_q2 after_q2s after_q3; do
  IFS='|' read -r label n tables logged custom generic rows buffers sms srows sbuffers api <<< "${explained[$k]}"
  echo "| $label | $n | $tables | $api | $logged | $custom | $generic | $rows | $buffers | $sms | $srows | $sbuffers |"
done
echo
echo "| table | rows | bytes (with indexes) | bytes per row |"
echo "|---|---|---|---|"
for t in counter_minute counter_hour counter_day campaign_hour campaign_day banner_day; do
  rows=$(sql "SELECT count(*) FROM $t")
  bytes=$(sql "SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = '$t'")
  echo "| $t | $rows | $bytes | $(( rows > 0 ? bytes / rows : 0 )) |"
done
if [[ "${KEEP:-0}" == 1 && -n "$STARTED_VAR" ]]; then
  echo
  echo "kept running (KEEP=1): AdGrid pid $ADGRID_PID, var $VAR_DIR, psql -h 127.0.0.1 -p $PGPORT -U postgres (password in $VAR_DIR/postgres.password);"
  echo "stop it with: kill -TERM $ADGRID_PID; then rm -rf $VAR_DIR"
fi
