#!/usr/bin/env bash
# Generates a Java client from a running AdGrid's OpenAPI description (openapi-generator 7.25.0, from
# Maven Central) and uses it: a campaign report, the admin flush and a catalog read with the admin
# token, and the flush refused (401) without it. Exits non-zero when an answer is not the one the
# description promises.
#
#   ./adgrid run --demo                      # in another terminal
#   ops/openapi/client-check.sh              # localhost:8081, token in var/admin.token
#   ops/openapi/client-check.sh http://localhost:9181 /path/to/admin.token
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="${1:-http://localhost:8081}"
token_file="${2:-var/admin.token}"
if [ ! -r "$token_file" ]; then
  echo "client-check: no admin token file at $token_file (give its path as the second argument)" >&2
  exit 2
fi
token_file="$(realpath "$token_file")"
target="$here/client/target"
mkdir -p "$target"
if ! curl -sf "$base/v3/api-docs" -o "$target/openapi.json"; then
  echo "client-check: no OpenAPI description at $base/v3/api-docs (is AdGrid running? ./adgrid run --demo)" >&2
  exit 2
fi
mvn -B -ntp -q -f "$here/client/pom.xml" compile exec:java -Dspec="$target/openapi.json" \
  -Dexec.args="$base $token_file"
