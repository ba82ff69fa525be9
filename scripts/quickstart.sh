#!/usr/bin/env bash
# Installs thanosts and runs the main job: an HA pair of Prometheus servers (replicas 0 and 1
# of cluster "demo", scraping the same targets), a thanosts sidecar next to each, and a
# thanosts querier over both that deduplicates the replicas (--query.replica-label replica).
# Ctrl-C stops everything and removes the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

PROM0=${PROM0_PORT:-19090}
PROM1=${PROM1_PORT:-19091}
QUERY_HTTP=${QUERY_HTTP:-127.0.0.1:10904}
QUERY_GRPC=${QUERY_GRPC:-127.0.0.1:10903}
work=$(mktemp -d -t thanosts-quickstart.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

wait_ready() {
  for _ in $(seq 1 150); do
    node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1" && return 0
    sleep 0.2
  done
  echo "thanosts: $1 did not become ready" >&2
  return 1
}

start_replica() { # replica port sidecar-grpc sidecar-http
  local r=$1 port=$2
  mkdir -p "$work/prom$r"
  cat > "$work/prom$r/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  external_labels:
    cluster: demo
    replica: "$r"
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${PROM0}", "127.0.0.1:${PROM1}"]
  - job_name: thanosts
    static_configs:
      - targets: ["127.0.0.1:10902", "127.0.0.1:10912", "${QUERY_HTTP}"]
YAML
  prometheus --config.file "$work/prom$r/prometheus.yml" --storage.tsdb.path "$work/prom$r/data" \
    --web.listen-address "127.0.0.1:${port}" --web.enable-lifecycle --log.level=warn >"$work/prom$r.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:${port}/-/ready"
  node bin/run.js sidecar --prometheus.url "http://127.0.0.1:${port}" --grpc-address "$3" --http-address "$4" \
    --reloader.config-file "$work/prom$r/prometheus.yml" --log.level warn &
  pids+=($!)
  wait_ready "http://$4/-/ready"
}

start_replica 0 "$PROM0" 127.0.0.1:10901 127.0.0.1:10902
start_replica 1 "$PROM1" 127.0.0.1:10911 127.0.0.1:10912
node bin/run.js query --store 127.0.0.1:10901 --store 127.0.0.1:10911 --query.replica-label replica \
  --http-address "$QUERY_HTTP" --grpc-address "$QUERY_GRPC" --endpoint.info-timeout 2s --log.level warn &
pids+=($!)
wait_ready "http://${QUERY_HTTP}/-/ready"

cat <<MSG

thanosts is running: an HA pair of Prometheus servers, a sidecar each, one querier.
  Prometheus replica 0   http://127.0.0.1:${PROM0}   external labels {cluster="demo", replica="0"}
  Prometheus replica 1   http://127.0.0.1:${PROM1}   external labels {cluster="demo", replica="1"}
  sidecars (StoreAPI)    127.0.0.1:10901, 127.0.0.1:10911   (metrics: 10902, 10912)
  querier (Prometheus API, point Grafana here)   http://${QUERY_HTTP}
  querier (StoreAPI, for a Thanos querier on top) ${QUERY_GRPC}

Try, in another terminal (data appears after the first scrapes, ~10s):
  node bin/run.js query-once 'up' --query.url http://${QUERY_HTTP}
  node bin/run.js query-once 'up' --store 127.0.0.1:10901 --store 127.0.0.1:10911 --no-dedup
  node bin/run.js query-once 'sum by (job) (rate(prometheus_http_requests_total[1m]))' --query.url http://${QUERY_HTTP} --start -5m --step 15s
Stop replica 0 (kill the Prometheus listening on ${PROM0}) and the deduplicated answers stay whole.
Ctrl-C to stop everything.
MSG
wait
