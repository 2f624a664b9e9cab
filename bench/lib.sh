# Shared by the bench/*.sh scripts (sourced, not run). Finds or starts the AdGrid under test and
# reads its totals, metrics, CPU time and PostgreSQL.
#
# Environment (all optional):
#   BENCH_START=1            start a private './adgrid run --demo' from this checkout (temporary var dir,
#                            private cluster name, grid port ADGRID_GRID_PORT or 6700) and stop it at exit;
#                            otherwise use the one already running on the ports below
#   BENCH_START=jar          the same from app/target/adgrid-exec.jar as it is, without the launcher (which
#                            builds and installs when sources changed): for a box where Maven's repository is shared
#   ADGRID_GATEWAY_PORT      beacon port (default 8080)
#   ADGRID_REPORTING_PORT    reporting port (default 8081)
#   ADGRID_VAR_DIR           var dir of a running AdGrid (default ./var): admin.token, postgres.port
#   ADGRID_ADMIN_TOKEN       admin token (default: read from the var dir)
#   ADGRID_PID               pid of the AdGrid JVM (default: the process listening on the gateway port)
#   BENCH_ADGRID_ENV         extra "NAME=value ..." for a started AdGrid (e.g. ADGRID_WRITEBEHIND_INTERVAL=1h)
#   WARMUP                   seconds of load before a steady-rate measurement (warm_up; default 30, 0 skips)

bench_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GATEWAY_PORT="${ADGRID_GATEWAY_PORT:-8080}"
REPORTING_PORT="${ADGRID_REPORTING_PORT:-8081}"
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"
REPORTING="http://127.0.0.1:$REPORTING_PORT"
ADGRID_PID="${ADGRID_PID:-}"
VAR_DIR="${ADGRID_VAR_DIR:-$bench_root/var}"
STARTED_VAR=""

bench_log() { echo "== $*" >&2; }

# Exits 2 with the usage line unless every argument after it is a positive whole number.
require_whole_numbers() { # usage arguments...
  local usage="$1" n; shift
  for n in "$@"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $usage, each a positive whole number (got '$n')" >&2; exit 2; }
  done
}

# Steady GET /i (bench/steady.lua) at a rate for WARMUP seconds (default 30, 0 skips) before a
# measurement: the JIT compiles the beacon path in the first tens of seconds. Nothing of it is measured.
warm_up() { # rate connections wrk-threads
  local secs="${WARMUP:-30}"
  (( secs > 0 )) || return 0
  bench_log "warm-up: GET /i at $1 req/s for ${secs}s (not in the figures below)"
  wrk -t"$3" -c"$2" -d"${secs}s" -s "$bench_root/bench/steady.lua" "$GATEWAY" -- "$1" "$3" > /dev/null 2>&1
  sleep 2   # answers of the requests wrk left in flight
}

# Starts (BENCH_START=1) or finds AdGrid; sets ADGRID_PID, VAR_DIR, ADMIN_TOKEN.
adgrid_up() {
  if [[ "${BENCH_START:-0}" == 1 || "${BENCH_START:-0}" == jar ]]; then
    STARTED_VAR="$(mktemp -d /tmp/adgrid-bench.XXXXXX)"
    VAR_DIR="$STARTED_VAR"
    local grid_port="${ADGRID_GRID_PORT:-6700}"
    ADMIN_TOKEN="bench-$$"
    bench_log "starting ./adgrid run --demo (var $VAR_DIR, gateway $GATEWAY_PORT, reporting $REPORTING_PORT, grid $grid_port)"
    local launch=(./adgrid run --demo)
    if [[ "${BENCH_START}" == jar ]]; then
      # The launcher's JVM flags (./adgrid), on the jar as built.
      launch=(java --add-modules java.se --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
        --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
        --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
        --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
        --add-opens=java.management/sun.management=ALL-UNNAMED --add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
        -Dhazelcast.phone.home.enabled=false -Dchronicle.analytics.disable=true
        -Djna.tmpdir="$VAR_DIR/tmp/jna" -Djava.util.prefs.userRoot="$VAR_DIR/tmp/prefs" -XX:+ExitOnOutOfMemoryError
        -jar "$VAR_DIR/adgrid.jar" run --demo "--adgrid.var-dir=$VAR_DIR")
      # a copy, as the launcher runs one: a build meanwhile must not change the jar under the JVM
      cp "$bench_root/app/target/adgrid-exec.jar" "$VAR_DIR/adgrid.jar"
    fi
    # shellcheck disable=SC2086
    (cd "$bench_root" && exec env ADGRID_VAR_DIR="$VAR_DIR" ADGRID_GATEWAY_PORT="$GATEWAY_PORT" \
        ADGRID_REPORTING_PORT="$REPORTING_PORT" ADGRID_GRID_PORT="$grid_port" ADGRID_MEMBERS="127.0.0.1:$grid_port" \
        ADGRID_GRID_CLUSTERNAME="bench-$$-$RANDOM" ADGRID_ADMIN_TOKEN="$ADMIN_TOKEN" ${BENCH_ADGRID_ENV:-} \
        "${launch[@]}") > "$VAR_DIR/adgrid.log" 2>&1 &
    ADGRID_PID=$!   # the launcher execs java, so this is the JVM
    local deadline=$((SECONDS + ${BENCH_START_TIMEOUT:-300}))
    until grep -q "AdGrid run is ready" "$VAR_DIR/adgrid.log" 2>/dev/null; do
      if ! kill -0 "$ADGRID_PID" 2>/dev/null || (( SECONDS > deadline )); then
        tail -30 "$VAR_DIR/adgrid.log" >&2; echo "AdGrid did not start" >&2; return 1
      fi
      sleep 1
    done
    bench_log "AdGrid started, pid $ADGRID_PID"
  else
    curl -sf "$GATEWAY/healthz" >/dev/null || {
      echo "no AdGrid on $GATEWAY: start './adgrid run --demo' first, or set BENCH_START=1" >&2; return 1; }
    if [[ -z "$ADGRID_PID" ]]; then
      ADGRID_PID=$(ss -ltnpH "sport = :$GATEWAY_PORT" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
    fi
    ADMIN_TOKEN="${ADGRID_ADMIN_TOKEN:-$(cat "$VAR_DIR/admin.token" 2>/dev/null || true)}"
  fi
  [[ -n "$ADGRID_PID" ]] || { echo "cannot find AdGrid's pid: set ADGRID_PID" >&2; return 1; }
}

# Stops a started AdGrid gracefully (everything accepted is written first) and removes its var dir.
adgrid_down() {
  if [[ -n "$STARTED_VAR" ]]; then
    if kill -0 "$ADGRID_PID" 2>/dev/null; then
      kill -TERM "$ADGRID_PID" 2>/dev/null || true
      local deadline=$((SECONDS + 120))
      while kill -0 "$ADGRID_PID" 2>/dev/null && (( SECONDS < deadline )); do sleep 1; done
      kill -0 "$ADGRID_PID" 2>/dev/null && kill -KILL "$ADGRID_PID" 2>/dev/null || true
    fi
    rm -rf "$STARTED_VAR"
    STARTED_VAR=""
  fi
}

# Total impressions of all traffic, all time: live (grid + PostgreSQL) or "db" (PostgreSQL only).
total_impressions() {
  local source="${1:-live}"
  curl -sf "$REPORTING/api/v1/stats?granularity=total&from=2000-01-01&to=2100-01-01&source=$source" \
    | sed -n 's/.*"impressions":\([0-9]*\).*/\1/p'
}

# POST /api/v1/admin/flush: returns once PostgreSQL holds everything accepted so far.
admin_flush() {
  curl -sf -X POST -H "Authorization: Bearer $ADMIN_TOKEN" "$REPORTING/api/v1/admin/flush" >/dev/null
}

pg_port() { cat "$VAR_DIR/postgres.port"; }
jdbc_url() { echo "jdbc:postgresql://127.0.0.1:$(pg_port)/postgres"; }

# The embedded PostgreSQL's password (var/postgres.password, mode 0600), or ADGRID_DB_PASSWORD.
db_password() { echo "${ADGRID_DB_PASSWORD:-$(cat "$VAR_DIR/postgres.password" 2>/dev/null || true)}"; }

# One value from AdGrid's PostgreSQL (the embedded one: user postgres).
psql_value() {
  PGPASSWORD="$(db_password)" psql -h 127.0.0.1 -p "$(pg_port)" -U postgres -d postgres -Atqc "$1"
}

sql_impressions() { psql_value "SELECT coalesce(sum(impressions), 0) FROM counter_minute"; }

# utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15).
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/${1:-$ADGRID_PID}/stat"
}

# Sum of the Prometheus samples whose line matches a regexp (names and labels), from the reporting port;
# rounded to whole units unless a number of decimals is given (timers' _sum are seconds).
prom_sum() {
  curl -sf "$REPORTING/actuator/prometheus" | awk -v re="$1" -v d="${2:-0}" '$0 !~ /^#/ && $1 ~ re { s += $NF } END { printf "%.*f\n", d, s }'
}
prom_max() {
  curl -sf "$REPORTING/actuator/prometheus" | awk -v re="$1" '$0 !~ /^#/ && $1 ~ re { if ($NF > m) m = $NF } END { printf "%.6f\n", m }'
}

# The ops overview as one JSON document (members' backlog keys, dedup identities, heap; totals).
overview() { curl -sf "$REPORTING/api/v1/ops/overview"; }
# Sum of a numeric field over the overview's JSON (e.g. backlogKeys over every member).
json_sum() { grep -o "\"$1\":[0-9.]*" | awk -F: '{ s += $2 } END { printf "%.0f\n", s }'; }
# A cluster-wide write-behind figure of the overview (backlogKeys, dedupBytes, ...): its "writeBehind"
# object holds the sums over the data members (the series and members[] repeat them, per second and member).
write_behind_field() { grep -o '"writeBehind":{[^}]*}' | json_sum "$1"; }

# Heap used after a full GC, in bytes (jcmd GC.run, then GC.heap_info; perturbs a running load).
heap_after_full_gc() {
  jcmd "$ADGRID_PID" GC.run >/dev/null
  jcmd "$ADGRID_PID" GC.heap_info | awk '/ heap .*used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); print v * 1024; exit } }'
}

# Parses the summary line bench/*.lua print at the end of a wrk run.
# e.g. wrk_field requests out.txt  for a line "requests=123 status_errors=0 p50=0.91 ..."
wrk_field() { awk -v k="$1=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) { v = substr($i, length(k) + 1); sub(/ms$/, "", v); print v; exit } }' "$2"; }

# The PostgreSQL JDBC driver the project uses, from the local Maven repository.
pg_driver_jar() {
  local v
  v=$(sed -n 's:.*<postgresql.version>\(.*\)</postgresql.version>.*:\1:p' "$bench_root/pom.xml")
  echo "$HOME/.m2/repository/org/postgresql/postgresql/$v/postgresql-$v.jar"
}

# Exactness after a run: check_exact SENT BEFORE [SLACK]
#   SENT   events the client got a 2xx for; BEFORE  total_impressions before the run;
#   SLACK  how many more may be counted than SENT (wrk's last in-flight requests: one per connection).
# Prints live and PostgreSQL deltas (after an admin flush) and PostgreSQL's SQL total against the API's
# db total; returns 1 when they disagree.
check_exact() {
  local sent="$1" before="$2" slack="${3:-0}" live db_total db sql ok=yes
  live=$(( $(total_impressions) - before ))
  admin_flush
  db_total=$(total_impressions db); db=$(( db_total - before ))
  sql=$(sql_impressions 2>/dev/null || echo "?")
  (( live >= sent && live <= sent + slack )) || ok=NO
  [[ "$db" == "$live" && "$sql" == "$db_total" ]] || ok=NO
  echo "== exactness: sent (2xx) $sent, counted live +$live (may exceed by up to $slack in flight), after flush db +$db;" \
       "db total $db_total = SQL sum(counter_minute.impressions) $sql: exact $ok"
  [[ $ok == yes ]]
}
