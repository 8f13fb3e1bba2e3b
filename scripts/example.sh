#!/usr/bin/env bash
# Runs one example, such as examples/native/index.ts, installing the dependencies when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
exec node --import tsx "$@"
