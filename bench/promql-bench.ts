/**
 * `npm run bench:promql`: the PromQL engine alone over memory, on typical dashboard queries.
 * 1,000 series × 24 h at 15 s (counters with le buckets, gauges), deterministic. Prints per
 * query the median time, samples read per second, and the process's peak RSS. Not a test:
 * numbers depend on the machine; compare runs on the same machine.
 */
import {labelsFromRecord} from '../src/core/labels/labels.js'
import {Engine} from '../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../src/core/promql/memory-queryable.js'

const STEP = 15_000
const POINTS = (24 * 3600_000) / STEP
const T0 = Date.UTC(2025, 0, 1)
const q = new MemoryQueryable()
let seed = 42
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

function addSeries(rec: Record<string, string>, gen: (i: number) => number): void {
  const ts = new Float64Array(POINTS)
  const vs = new Float64Array(POINTS)
  for (let i = 0; i < POINTS; i++) {
    ts[i] = T0 + i * STEP
    vs[i] = gen(i)
  }
  q.add(labelsFromRecord(rec), ts, vs)
}

const les = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf']
let series = 0
for (let inst = 0; inst < 20; inst++) {
  for (const job of ['api', 'web']) {
    for (const code of ['200', '500']) {
      const rate = 1 + rnd() * 10
      addSeries({__name__: 'http_requests_total', instance: `i${inst}`, job, code}, (i) => Math.floor(i * rate))
      series++
    }
    for (let k = 0; k < les.length; k++) {
      const share = (k + 1) / les.length
      addSeries({__name__: 'http_request_duration_seconds_bucket', instance: `i${inst}`, job, le: les[k]!}, (i) => Math.floor(i * 5 * share))
      series++
    }
  }
  for (let cpu = 0; cpu < 4; cpu++) {
    addSeries({__name__: 'node_cpu_seconds_total', instance: `i${inst}`, cpu: String(cpu), mode: 'idle'}, (i) => i * 14.2)
    series++
  }
}
while (series < 1000) {
  const n = series
  addSeries({__name__: 'node_memory_bytes', instance: `i${n % 20}`, kind: `k${n}`}, (i) => 1e9 + Math.sin(i / 100 + n) * 1e8)
  series++
}

const end = T0 + (POINTS - 1) * STEP
const queries: [string, number, number][] = [
  // [query, range (ms; 0 = instant), step]
  ['sum by (job) (rate(http_requests_total[5m]))', 3600_000, 15_000],
  ['sum by (job) (rate(http_requests_total[5m]))', 24 * 3600_000, 60_000],
  ['histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))', 6 * 3600_000, 30_000],
  ['topk(5, sum by (instance) (rate(node_cpu_seconds_total[5m])))', 6 * 3600_000, 30_000],
  ['sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))', 6 * 3600_000, 30_000],
  ['rate(http_requests_total[5m]) * on(instance, job) group_left() sum by (instance, job) (rate(http_requests_total{code="200"}[5m]))', 3600_000, 15_000],
  ['avg_over_time(node_memory_bytes[10m])', 3600_000, 15_000],
  ['max_over_time(node_memory_bytes[1h])', 0, 0],
  ['max_over_time(rate(http_requests_total[5m])[1h:1m])', 0, 0],
  ['quantile_over_time(0.9, node_memory_bytes[30m])', 3600_000, 60_000],
  ['node_memory_bytes', 3600_000, 15_000],
  ['count(node_memory_bytes > 1e9)', 24 * 3600_000, 300_000],
]

const engine = new Engine({timeout: 600_000})
let peakRss = process.memoryUsage().rss
const samplesIn = (range: number, step: number): number => (range === 0 ? 1 : Math.floor(range / step) + 1)
console.log(`data: ${series} series × ${POINTS} samples (24 h at 15 s) = ${(series * POINTS / 1e6).toFixed(2)}M samples`)
console.log('| query | range | steps | median ms | output points/s |')
console.log('|---|---|---|---|---|')
for (const [query, range, step] of queries) {
  const times: number[] = []
  let points = 0
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    const res = range === 0 ? await engine.instantQuery(q, query, end) : await engine.rangeQuery(q, query, end - range, end, step)
    times.push(performance.now() - t0)
    points = res.value.type === 'matrix' ? res.value.series.reduce((a, s) => a + s.ts.length, 0) : res.value.type === 'vector' ? res.value.samples.length : 1
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  times.sort((a, b) => a - b)
  const med = times[2]!
  console.log(`| \`${query}\` | ${range === 0 ? 'instant' : `${range / 3600_000}h`} | ${samplesIn(range, step)} | ${med.toFixed(1)} | ${Math.round((points / med) * 1000)} |`)
}
console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB`)
