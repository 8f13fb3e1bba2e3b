#!/usr/bin/env bash
# Runs the demo: a whole social sign-in against a local OpenID provider.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
exec node --import tsx examples/demo/index.ts
