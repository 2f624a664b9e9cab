#!/usr/bin/env bash
# Runs the JMH benchmarks of the hot functions (bench/jmh): signature check, beacon validation,
# known-robot detection, replay dedup, pre-aggregation, batch encoding, a refusal against a served
# request on one connection's pipeline (RefusalBenchmark), each against a baseline in its class. Builds bench/jmh/target/benchmarks.jar first when it is missing.
#
#   bench/jmh.sh                          # all of them: -f 1 -wi 3 -i 5 -w 2s -r 2s (not BatchCallBenchmark)
#   bench/jmh.sh BatchCallBenchmark.interleaved -w 10s -r 10s   # the grid's batch call against Hazelcast's
#                                                               # public API, two members in the JVM (minutes)
#   bench/jmh.sh Dedup -i 10              # a regexp picks benchmarks; any JMH option overrides a default
#   bench/jmh.sh 'KnownRobots|ValidationBenchmark' -wi 8 -w 3s   # known robots per beacon (issue 21): cache
#                                         # hit, Yauaa's miss, beside validation; the longer warm-up because
#                                         # Yauaa's misses still got faster after the default 3 x 2 s
#   bench/jmh.sh -h                       # JMH's options
#
# Prints JMH's table, then each score against its class's baseline and the sizes (bytes per
# identity, bytes per encoded event); JSON results go to bench/jmh/target/jmh-result.json.
# Run it on a quiet box: other load on the cores makes the figures noise.
set -euo pipefail
cd "$(dirname "$0")/.."

jar=bench/jmh/target/benchmarks.jar
if [[ ! -f $jar ]]; then
  echo "jmh.sh: building $jar" >&2
  mvn -q -B -pl bench/jmh -am package -DskipTests
fi

# Defaults for the options not given on the command line.
declare -A given=()
for a in "$@"; do
  given[$a]=1
done
defaults=()
add_default() { # option value
  [[ -n ${given[$1]:-} ]] || defaults+=("$1" "$2")
}
add_default -f 1
add_default -wi 3
add_default -i 5
add_default -w 2s
add_default -r 2s
add_default -rf json
add_default -rff bench/jmh/target/jmh-result.json
# The batch-call comparison starts grid members and runs for minutes: only when asked for by name.
(( $# > 0 )) || defaults+=(-e BatchCallBenchmark)

# The product's JVM flags (the parent pom's adgrid.jvm.flags), so the forks run as AdGrid does.
read -r -a jvm_flags <<< "$(sed -n 's:.*<adgrid.jvm.flags>\(.*\)</adgrid.jvm.flags>.*:\1:p' pom.xml)"
mkdir -p bench/jmh/target/jna
exec java -Xms1g -Xmx1g "${jvm_flags[@]}" -Djna.tmpdir=bench/jmh/target/jna \
  -jar "$jar" "${defaults[@]}" "$@"
