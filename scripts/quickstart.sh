#!/usr/bin/env bash
# Installs thanosts and runs the main job, `thanosts demo`: three Prometheus servers (cluster eu1
# replica 0, cluster us1 replicas 0 and 1) scraping each other, a thanosts sidecar next to each,
# and a thanosts querier that deduplicates the us1 replicas. Extra arguments go to the demo
# (e.g. --outage us1/0:2m). Ctrl-C stops everything and removes the temp dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node bin/run.js demo "$@"
