#!/usr/bin/env python3
"""Issue 22: EXPLAIN (ANALYZE, BUFFERS) of the very statements the reporting API ran.

bench/report-size.sh turns log_min_duration_statement on, asks the API one report, turns it off,
then runs this on the part of the embedded PostgreSQL's log written meanwhile. Each report statement
(the ones summing r.impressions, StatsRepository) is prepared again with the logged SQL and executed
under EXPLAIN (ANALYZE, BUFFERS) with the logged parameters: first as a custom plan (what PostgreSQL
plans for the first executions of a statement), then as a generic one (what it may switch to for a
statement the JDBC driver prepared on the server after 5 uses).

usage: report-explain.py LOG OFFSET LABEL PLANS_FILE   (psql connection from PGHOST/PGPORT/PGUSER/PGPASSWORD)
Prints one line: LABEL, statements, tables, SQL ms (as logged), EXPLAIN ms (planning + execution)
custom/generic, rows read by the scans, shared buffers; then ms, rows and buffers of the same statements
with each summary table (V14) replaced by the rollup table it sums (the design without summaries).
Appends the plans to PLANS_FILE.
"""
import re
import subprocess
import sys

log_path, offset, label, plans_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(log_path, "rb") as f:
    f.seek(offset)
    lines = f.read().decode("utf-8", "replace").splitlines()

EXEC = re.compile(r"\[(\d+)\] LOG:  duration: ([0-9.]+) ms  execute [^:]*: (.*)$")
PARAMS = re.compile(r"\[(\d+)\] DETAIL:  parameters: (.*)$")
VALUE = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")

statements = []  # (logged ms, sql, [values])
for i, line in enumerate(lines):
    m = EXEC.search(line)
    if not m or "sum(r.impressions)" not in m.group(3):
        continue
    values = []
    for nxt in lines[i + 1:i + 4]:
        p = PARAMS.search(nxt)
        if p and p.group(1) == m.group(1):
            values = [v for _, v in sorted(((int(n), v) for n, v in VALUE.findall(p.group(2))))]
            break
    statements.append((float(m.group(2)), m.group(3), values))

SCAN = re.compile(r"(Seq Scan|(?<!Bitmap )Index Scan|Index Only Scan|Bitmap Heap Scan) .*actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+) loops=(\d+)")
BUFFERS = re.compile(r"Buffers: shared(?: hit=(\d+))?(?: read=(\d+))?")
EXEC_TIME = re.compile(r"Execution Time: ([0-9.]+) ms")
PLAN_TIME = re.compile(r"Planning Time: ([0-9.]+) ms")


def explain(sql, values, mode):
    script = (f"SET plan_cache_mode = {mode};\nPREPARE q AS {sql};\n"
              f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE q({', '.join(values)});\n")
    out = subprocess.run(["psql", "-X", "-d", "postgres", "-Atq"], input=script, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr}")
    return out.stdout


# A summary's source (V14): the same statement on it is what the design without summaries ran.
SOURCE = {"campaign_hour": "counter_hour", "campaign_day": "counter_day", "banner_day": "counter_day"}


def ms_of(plan):
    return float(EXEC_TIME.search(plan).group(1)) + float(PLAN_TIME.search(plan).group(1))


def rows_of(plan):
    return sum(int(r) * int(n) for _, r, n in SCAN.findall(plan))


def buffers_of(plan):
    first = BUFFERS.search(plan)  # the top node's buffers include every node below it
    return int(first.group(1) or 0) + int(first.group(2) or 0) if first else 0


logged = exec_custom = exec_generic = source_ms = 0.0
rows = buffers = source_rows = source_buffers = 0
tables = []
with open(plans_path, "a") as plans:
    for ms, sql, values in statements:
        logged += ms
        table = re.search(r" FROM (\w+) r ", sql).group(1)
        tables.append(table)
        custom = explain(sql, values, "force_custom_plan")
        generic = explain(sql, values, "force_generic_plan")
        exec_custom += ms_of(custom)
        exec_generic += ms_of(generic)
        rows += rows_of(custom)
        buffers += buffers_of(custom)
        source = custom
        if table in SOURCE:
            source = explain(sql.replace(f" FROM {table} r ", f" FROM {SOURCE[table]} r "), values, "force_custom_plan")
            plans.write(f"### {label}: the same on {SOURCE[table]} (no summaries)\n{source}\n")
        source_ms += ms_of(source)
        source_rows += rows_of(source)
        source_buffers += buffers_of(source)
        plans.write(f"### {label}: {table} (logged {ms} ms)\n{sql}\n-- parameters: {', '.join(values)}\n"
                    f"-- custom plan:\n{custom}\n-- generic plan:\n{generic}\n")

# last three: the same statements with each summary replaced by its source table (the design without summaries)
print(f"{label}|{len(statements)}|{'+'.join(tables)}|{logged:.1f}|{exec_custom:.1f}|{exec_generic:.1f}|{rows}|{buffers}"
      f"|{source_ms:.1f}|{source_rows}|{source_buffers}")
