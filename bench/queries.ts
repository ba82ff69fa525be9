/**
 * The dashboard queries of the benchmark, with the ranges and steps Grafana picks for them
 * (1 h → 15 s, 6 h → 60 s, 24 h → 5 m). Range queries end at the data set's end (a full hour,
 * so every step divides it, as Grafana aligns); instant queries run at "now" = end − 7 s, off
 * the minute as Grafana's now() is (which also keeps subquery steps off the window edge,
 * where Prometheus 2's left-closed and 3's left-open windows would differ).
 */

export interface BenchQuery {
  /** Short id, matched by --only. */
  id: string
  expr: string
  /** 0 = instant query. */
  rangeMs: number
  stepMs: number
  /** What a dashboard uses it for (shown in docs). */
  what: string
}

const H = 3_600_000
const G1h = {rangeMs: H, stepMs: 15_000}
const G6h = {rangeMs: 6 * H, stepMs: 60_000}
const G24h = {rangeMs: 24 * H, stepMs: 300_000}
const INSTANT = {rangeMs: 0, stepMs: 0}

export const INSTANT_OFFSET_MS = 7_000

export const QUERIES: BenchQuery[] = [
  {id: 'cpu-rate-all-1h', expr: 'rate(node_cpu_seconds_total[5m])', ...G1h, what: '~1,000 series: every CPU and mode'},
  {id: 'cpu-rate-all-instant', expr: 'rate(node_cpu_seconds_total[5m])', ...INSTANT, what: '~1,000 series, instant'},
  {id: 'cpu-busy-by-instance-6h', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', ...G6h, what: 'sum by over rate'},
  {id: 'cpu-util-24h', expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', ...G24h, what: 'scalar-vector arithmetic'},
  {id: 'mem-used-pct-6h', expr: '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)', ...G6h, what: 'vector-vector one-to-one'},
  {id: 'net-rx-topk-1h', expr: 'topk(5, sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m])))', ...G1h, what: 'topk'},
  {id: 'fs-avail-min-instant', expr: 'min by (mountpoint) (node_filesystem_avail_bytes / node_filesystem_size_bytes)', ...INSTANT, what: 'aggregation over a ratio'},
  {id: 'load-max-24h-instant', expr: 'max_over_time(node_load1[24h])', ...INSTANT, what: 'max_over_time over all data'},
  {id: 'http-rps-by-job-code-24h', expr: 'sum by (job, code) (rate(http_requests_total[5m]))', ...G24h, what: 'sum by over rate, whole day'},
  {id: 'http-error-ratio-6h', expr: 'sum by (job) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m]))', ...G6h, what: 'error ratio (regex, binary op)'},
  {id: 'http-p99-6h', expr: 'histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))', ...G6h, what: 'histogram_quantile'},
  {id: 'http-p50-handler-24h', expr: 'histogram_quantile(0.5, sum by (le, handler) (rate(http_request_duration_seconds_bucket[5m])))', ...G24h, what: 'histogram_quantile, whole day'},
  {id: 'http-latency-avg-1h', expr: 'sum by (job) (rate(http_request_duration_seconds_sum[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))', ...G1h, what: 'mean latency from _sum/_count'},
  {id: 'rss-avg-over-time-24h', expr: 'avg_over_time(process_resident_memory_bytes[1h])', ...G24h, what: 'avg_over_time'},
  {id: 'http-max-rate-subquery-instant', expr: 'max_over_time(sum by (job) (rate(http_requests_total[5m]))[1h:1m])', ...INSTANT, what: 'subquery'},
  {id: 'http-rps-version-join-6h', expr: 'sum by (job, instance) (rate(http_requests_total[5m])) * on (job, instance) group_left (version) app_build_info', ...G6h, what: 'group_left join'},
  {id: 'cpu-count-busy-instant', expr: 'count by (mode) (rate(node_cpu_seconds_total[5m]) > 0.05)', ...INSTANT, what: 'count over a filter'},
  {id: 'cpu-user-quantile-1h', expr: 'quantile(0.9, rate(node_cpu_seconds_total{mode="user"}[5m]))', ...G1h, what: 'quantile aggregation'},
  {id: 'http-increase-24h-instant', expr: 'sum by (job) (increase(http_requests_total[24h]))', ...INSTANT, what: 'increase over the whole day'},
  {id: 'mem-raw-1h', expr: 'node_memory_MemAvailable_bytes', ...G1h, what: 'raw selector'},
  // Native histograms (rpc_server_duration_seconds, exponential schema 3). `sum by (le)` is
  // kept as dashboards ported from classic histograms write it: a native histogram has no `le`,
  // so it sums everything, as `sum` does.
  {id: 'nh-p99-by-le-24h', expr: 'histogram_quantile(0.99, sum by (le) (rate(rpc_server_duration_seconds[5m])))', ...G24h, what: 'native histogram_quantile, `by (le)`'},
  {id: 'nh-p99-by-le-instant', expr: 'histogram_quantile(0.99, sum by (le) (rate(rpc_server_duration_seconds[5m])))', ...INSTANT, what: 'native histogram_quantile, `by (le)`, instant'},
  {id: 'nh-p99-24h', expr: 'histogram_quantile(0.99, sum(rate(rpc_server_duration_seconds[5m])))', ...G24h, what: 'native histogram_quantile over sum'},
  {id: 'nh-p99-instant', expr: 'histogram_quantile(0.99, sum(rate(rpc_server_duration_seconds[5m])))', ...INSTANT, what: 'native histogram_quantile over sum, instant'},
  {id: 'nh-count-24h', expr: 'histogram_count(rate(rpc_server_duration_seconds[5m]))', ...G24h, what: 'native histogram_count, 16 series'},
  {id: 'nh-count-instant', expr: 'histogram_count(rate(rpc_server_duration_seconds[5m]))', ...INSTANT, what: 'native histogram_count, instant'},
]

/** Human label for the query's shape: "instant", "1h / 15s". */
export function shapeOf(q: BenchQuery): string {
  if (q.rangeMs === 0) return 'instant'
  const d = (ms: number): string => (ms % H === 0 ? `${ms / H}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`)
  return `${d(q.rangeMs)} / ${d(q.stepMs)}`
}

/** The form Grafana POSTs for this query, given the data set's end. */
export function queryForm(q: BenchQuery, endMs: number): {path: string; body: string} {
  const sec = (ms: number): string => String(ms / 1000)
  if (q.rangeMs === 0) {
    return {path: '/api/v1/query', body: new URLSearchParams({query: q.expr, time: sec(endMs - INSTANT_OFFSET_MS)}).toString()}
  }
  return {
    path: '/api/v1/query_range',
    body: new URLSearchParams({query: q.expr, start: sec(endMs - q.rangeMs), end: sec(endMs), step: sec(q.stepMs)}).toString(),
  }
}
