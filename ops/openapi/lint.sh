#!/usr/bin/env bash
# Lints AdGrid's OpenAPI description with Redocly's CLI (pinned in ops/openapi/package.json):
#
#   ops/openapi/lint.sh                                  # a running reporting process, localhost:8081
#   ops/openapi/lint.sh http://localhost:9181/v3/api-docs
#   ops/openapi/lint.sh app/target/openapi.json          # the copy EndToEndIT saves during mvn verify
#
# Exits non-zero on any error (warnings are printed, not fatal). Installs the CLI under
# ops/openapi/node_modules on first use (npm ci; needs Node 20+ and the npm registry once).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="${1:-http://localhost:8081/v3/api-docs}"
if [ ! -x "$here/node_modules/.bin/redocly" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
if [[ "$spec" == http://* || "$spec" == https://* ]]; then
  tmp="$(mktemp --suffix=.json)"
  trap 'rm -f "$tmp"' EXIT
  curl -sf "$spec" -o "$tmp"
  spec="$tmp"
fi
exec "$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" "$spec"
