#!/usr/bin/env bash
# Runs the whole test suite (installing whatever is missing first), as CI does.
# Ends with one line `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# The spec is given here, not in .mocharc.json: there, mocha would add it to any files named on
# the command line, and `npx mocha dist/test/x.test.js` would run everything.
if [ $# -eq 0 ]; then set -- 'dist/test/**/*.test.js'; fi
exec npx mocha --reporter ./scripts/mocha-summary-reporter.cjs "$@"
