#!/usr/bin/env bash
# Runs the whole test suite (installing whatever is missing first), as CI does.
# Ends with one line `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec npx mocha --reporter ./scripts/mocha-summary-reporter.cjs "$@"
