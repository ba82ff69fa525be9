#!/usr/bin/env bash
# Installs thanosts and runs the main job: a local Prometheus (started here, with external
# labels {cluster="demo", replica="0"}, scraping itself) and a thanosts sidecar serving it
# over the Thanos StoreAPI. Ctrl-C stops both and removes the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

PROM_PORT=${PROM_PORT:-19090}
GRPC_ADDRESS=${GRPC_ADDRESS:-127.0.0.1:10901}
HTTP_ADDRESS=${HTTP_ADDRESS:-127.0.0.1:10902}
work=$(mktemp -d -t thanosts-quickstart.XXXXXX)
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  external_labels:
    cluster: demo
    replica: "0"
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${PROM_PORT}"]
  - job_name: thanosts-sidecar
    static_configs:
      - targets: ["${HTTP_ADDRESS}"]
YAML

prom_pid=""
cleanup() {
  [ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/data" \
  --web.listen-address "127.0.0.1:${PROM_PORT}" --web.enable-lifecycle >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 100); do
  node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' \
    "http://127.0.0.1:${PROM_PORT}/-/ready" && break
  sleep 0.2
done

cat <<MSG
thanosts quickstart
  Prometheus        http://127.0.0.1:${PROM_PORT}   (external labels cluster="demo", replica="0")
  sidecar StoreAPI  grpc://${GRPC_ADDRESS}
  sidecar HTTP      http://${HTTP_ADDRESS}/metrics  /-/ready
Point a Thanos querier (or 'thanosts query --store ${GRPC_ADDRESS}') at the sidecar. Ctrl-C to stop.
MSG
node bin/run.js sidecar --prometheus.url "http://127.0.0.1:${PROM_PORT}" \
  --grpc-address "$GRPC_ADDRESS" --http-address "$HTTP_ADDRESS" \
  --reloader.config-file "$work/prometheus.yml" &
sidecar_pid=$!
trap 'kill $sidecar_pid 2>/dev/null; wait $sidecar_pid 2>/dev/null; cleanup' EXIT INT TERM
wait $sidecar_pid
