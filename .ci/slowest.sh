#!/usr/bin/env bash
# The slowest test classes of the last Maven run (surefire and failsafe reports of every module), to
# keep the default suite lean (issue 15): bash .ci/slowest.sh [N], default 5.
cd "$(dirname "$0")/.."
n="${1:-5}"
attr() { grep -o " $1=\"[^\"]*\"" <<<"$2" | head -n 1 | cut -d'"' -f2 | tr -d ','; }
rows=$(for f in */target/surefire-reports/TEST-*.xml */target/failsafe-reports/TEST-*.xml; do
  [ -f "$f" ] || continue
  suite=$(grep -m1 -o '<testsuite [^>]*>' "$f")
  echo "$(attr time "$suite") $(attr tests "$suite") $(attr name "$suite")"
done | sort -rn)
[ -n "$rows" ] || { echo "no test reports under */target"; exit 0; }
echo "| test class | tests | seconds |"
echo "|---|---|---|"
echo "$rows" | head -n "$n" | awk '{ printf "| %s | %s | %.0f |\n", $3, $2, $1 }'
echo "$rows" | awk '{ s += $1; t += $2 } END { printf "all %d classes: %d tests, %.0f s in test JVMs\n", NR, t, s }'
