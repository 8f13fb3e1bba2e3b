#!/usr/bin/env bash
# The test command: installs dependencies when missing, starts Redis and PostgreSQL when they do not
# respond, then runs the linter, the type checker and every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-redis.sh
bash scripts/ensure-postgres.sh
npm run --silent lint
# The type tests and the exports test import the package by name, which resolves to dist/.
npm run --silent build
npm run --silent typecheck
node --import tsx scripts/check-readme-snippets.ts
node --import tsx --test --test-concurrency=1 test/*.test.ts
