#!/usr/bin/env bash
# Installs everything thanosts needs on a fresh Debian machine with Node 20 (run as root):
# the Debian `prometheus` package (Prometheus 2.42 + promtool, used by the demo and the tests),
# Debian's `chromium` (headless, for the web UI's browser tests),
# the npm packages, the real peers (scripts/peers.sh: Thanos, Prometheus 3, SeaweedFS, built
# with the machine's Go toolchain), and the build. Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
# The web UI's browser tests drive Debian's Chromium headless (playwright-core, no browser download).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "thanosts: installing Debian packages: ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends: we only need the binaries, not node-exporter & co.
  # shellcheck disable=SC2068
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need_apt[@]}" | sort -u) >/dev/null
  # The package enables a system service; thanosts starts its own Prometheus processes.
  (systemctl disable --now prometheus >/dev/null 2>&1 || true)
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "thanosts: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The real Thanos, Prometheus 3 and SeaweedFS the tests and benchmarks run beside thanosts,
# built from their Go modules (minutes the first time, a cache check afterwards).
bash scripts/peers.sh >&2

echo "thanosts: building" >&2
npm run --silent build

# `thanosts` on PATH, so the commands the README and the demo print run as printed.
if [ -w /usr/local/bin ]; then
  ln -sfn "$(pwd)/bin/run.js" /usr/local/bin/thanosts
else
  echo "thanosts: /usr/local/bin is not writable: run it as node $(pwd)/bin/run.js, or link it yourself" >&2
fi
