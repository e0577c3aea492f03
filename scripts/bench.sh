#!/usr/bin/env bash
# `npm run bench`: raises the open-files limit (1,000 connections have both ends on this machine), then
# runs the benchmark (scripts/bench.ts; --help there).
set -euo pipefail
hard=$(ulimit -Hn)
if [[ "$hard" == "unlimited" || "$hard" -gt 65536 ]]; then target=65536; else target=$hard; fi
ulimit -n "$target" 2>/dev/null || true
BENCH_ULIMIT=$(ulimit -n) exec node --import tsx "$(dirname "${BASH_SOURCE[0]}")/bench.ts" "$@"
