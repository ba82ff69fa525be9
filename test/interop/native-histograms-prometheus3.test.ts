/**
 * Native histograms end to end against a real Prometheus 3 (the peers' build): histograms fed
 * by remote write (test/helpers/native-histogram-remote-write.ts; exponential schemas, zero
 * buckets, negative buckets, resets, schema changes, staleness, gauges, float histograms,
 * custom buckets), read through our sidecar and our querier, must answer as Prometheus's own
 * API does: the raw selectors (instant vectors, range vectors, range queries) and the
 * functions, aggregations and operators the engine computes over histograms. Compared value
 * for value (every float and bucket as the API's string, so to the bit), results ordered by
 * labels (Prometheus orders aggregation output by a Go map).
 */
import assert from 'node:assert/strict'
import type {RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {nativeHistogramWriteSeries} from '../core/chunkenc/native-histogram-fixtures.js'
import {remoteWriteHistograms} from '../helpers/native-histogram-remote-write.js'
import {apiPost, queryParams} from '../helpers/prom-api.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {startQuerier} from '../helpers/querier.js'
import {startSidecar} from '../helpers/sidecar.js'

const H2 = 2 * 3600_000
// as histogram-real-prometheus.test.ts: a chunk-range boundary in the past, data around it
const BOUNDARY = Math.floor((Date.now() - 50 * 60_000) / H2) * H2
const T0 = BOUNDARY - 55 * 60_000
const END = T0 + 105 * 60_000

const METRICS = ['nh_exp', 'nh_neg_schema', 'nh_zero_threshold', 'nh_hint', 'nh_gauge', 'nh_float', 'nh_float_gauge', 'nh_nhcb', 'nh_nhcb_float', 'nh_long', 'nh_float_long']
const SELECTOR = `{__name__=~"nh_.+"}`

/** The expressions compared, each over every metric (and some over all at once). */
const PER_METRIC = [
  (m: string) => m,
  (m: string) => `${m} offset 2m`,
  (m: string) => `histogram_count(${m})`,
  (m: string) => `histogram_sum(${m})`,
  (m: string) => `histogram_avg(${m})`,
  (m: string) => `histogram_stddev(${m})`,
  (m: string) => `histogram_stdvar(${m})`,
  (m: string) => `histogram_fraction(0, 4, ${m})`,
  (m: string) => `histogram_fraction(-2.5, 0.3, ${m})`,
  (m: string) => `histogram_quantile(0.9, ${m})`,
  (m: string) => `histogram_quantile(0.25, ${m})`,
  (m: string) => `histogram_quantile(0.5, rate(${m}[5m]))`,
  (m: string) => `rate(${m}[5m])`,
  (m: string) => `increase(${m}[3m])`,
  (m: string) => `delta(${m}[4m])`,
  (m: string) => `irate(${m}[2m])`,
  (m: string) => `idelta(${m}[2m])`,
  (m: string) => `histogram_count(rate(${m}[5m]))`,
  // statistics decoding: hints decided on the fly (histogram_stats_iterator.go)
  (m: string) => `histogram_count(sum_over_time(${m}[5m]))`,
  (m: string) => `histogram_sum(avg_over_time(${m}[3m]))`,
  (m: string) => `histogram_count(increase(${m}[4m]))`,
  (m: string) => `sum_over_time(${m}[2m])`,
  (m: string) => `avg_over_time(${m}[3m])`,
  (m: string) => `last_over_time(${m}[4m])`,
  (m: string) => `changes(${m}[10m])`,
  (m: string) => `resets(${m}[10m])`,
  (m: string) => `${m} * 3`,
  (m: string) => `0.5 * ${m}`,
  (m: string) => `${m} / 4`,
  (m: string) => `${m} * -1`,
  (m: string) => `${m} + ${m}`,
  (m: string) => `${m} - ${m} offset 1m`,
  (m: string) => `${m} == ${m} offset 15s`,
  (m: string) => `${m} != bool ${m} offset 15s`,
  (m: string) => `${m} / on() vector(2)`,
  (m: string) => `vector(3) * on() ${m}`,
  (m: string) => `timestamp(${m})`,
]

const ALL = [
  SELECTOR,
  `sum(${SELECTOR})`,
  `sum by (__name__) (${SELECTOR})`,
  `avg by (__name__) (${SELECTOR})`,
  `count(${SELECTOR})`,
  `sum by (__name__) (rate(${SELECTOR}[5m]))`,
  `histogram_quantile(0.99, sum by (__name__) (rate(${SELECTOR}[5m])))`,
  `${SELECTOR} and ${SELECTOR} offset 1m`,
  `label_replace(${SELECTOR}, "x", "$1", "__name__", "nh_(.*)")`,
  `count by (__name__) (${SELECTOR})`,
  `histogram_count(sum(${SELECTOR}))`,
  `histogram_avg(avg by (__name__) (${SELECTOR}))`,
  `count_values("v", ${SELECTOR})`,
]


interface Answer {
  status: string
  data?: {resultType: string; result: {metric: Record<string, string>}[] | unknown}
  errorType?: string
}

/** `data` with its result ordered by labels (the only freedom Prometheus's answer has). */
function normalized(a: Answer): string {
  if (a.status !== 'success') return `error ${a.errorType}`
  const d = a.data!
  if (!Array.isArray(d.result)) return JSON.stringify(d)
  const rs = (d.result as {metric: Record<string, string>}[]).map((r) => JSON.stringify(r))
  const keyed = rs.map((r, i) => [JSON.stringify((d.result as {metric: Record<string, string>}[])[i]!.metric), r] as const)
  keyed.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
  return `${d.resultType} ${keyed.map((k) => k[1]).join('\n')}`
}

describe('interop: native histograms through our sidecar and querier equal Prometheus 3', function () {
  this.timeout(600_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({version: 3, externalLabels: {replica: 'a'}, extraArgs: ['--web.enable-remote-write-receiver']})
    await remoteWriteHistograms(prom.url, nativeHistogramWriteSeries(T0))
    sidecar = await startSidecar(prom)
    querier = await startQuerier([`127.0.0.1:${sidecar.grpcPort}`], {replicaLabels: ['replica']})
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  async function compare(exprs: string[]): Promise<{failures: string[]; nonEmpty: number; histograms: number}> {
    const instants = [T0 + 10 * 60_000 + 3_000, T0 + 24 * 60_000 + 500, T0 + 61 * 60_000, END - 1_000]
    const failures: string[] = []
    let nonEmpty = 0
    let histograms = 0
    for (const expr of exprs) {
      const ats = [...instants.map((timeMs) => ({timeMs})), {startMs: T0, endMs: END, stepMs: 45_000}, {startMs: T0 + 7_000, endMs: T0 + 40 * 60_000, stepMs: 15_000}]
      for (const at of ats) {
        const {path, params} = queryParams(expr, at)
        const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
        const t = normalized(theirs.body as unknown as Answer)
        const o = normalized(ours.body as unknown as Answer)
        if (t !== o) {
          let d = 0
          while (d < t.length && t[d] === o[d]) d++
          const from = Math.max(0, d - 250)
          failures.push(`${expr} ${JSON.stringify(at)}, from char ${from}:\n  ours   ${o.slice(from, d + 150)}\n  theirs ${t.slice(from, d + 150)}`)
        }
        if (/"result":\[\{|^(vector|matrix) \{/.test(t)) nonEmpty++
        if (t.includes('"histogram')) histograms++
      }
    }
    return {failures, nonEmpty, histograms}
  }

  it('raw selectors: instant vectors, offsets, range vectors and range queries of every kind of histogram', async function () {
    const exprs = [...METRICS.flatMap((m) => [m, `${m} offset 2m`, `${m}[3m]`]), SELECTOR]
    const r = await compare(exprs)
    assert.deepEqual(r.failures, [])
    assert.ok(r.histograms > exprs.length, `histograms were compared (${r.histograms})`)
  })

  it('histogram functions, rate and friends, aggregations and arithmetic', async function () {
    const exprs = [
      ...METRICS.flatMap((m) => PER_METRIC.slice(2).map((f) => f(m))),
      ...ALL.slice(1),
    ]
    const r = await compare(exprs)
    assert.deepEqual(r.failures, [], `${r.failures.length} of ${exprs.length * 6} answers differ:\n${r.failures.slice(0, 30).join('\n')}`)
    assert.ok(r.nonEmpty > exprs.length, `answers had data (${r.nonEmpty})`)
  })

  it("annotations: the warnings and infos of histogram queries are Prometheus's, positions included", async function () {
    const exprs = [
      ...METRICS.flatMap((m) => [...PER_METRIC.slice(2).map((f) => f(m)), `${m} > 1`, `${m} * ${m}`, `max_over_time(${m}[5m])`]),
      ...ALL.slice(1),
      `max(${SELECTOR})`,
      `topk(2, ${SELECTOR})`,
      `stddev by (__name__) (${SELECTOR})`,
      `quantile(0.5, ${SELECTOR})`,
      `sum by (__name__) (${SELECTOR}) + on(__name__) sum by (__name__) (${SELECTOR} offset 5m)`,
    ]
    const ats = [T0 + 10 * 60_000 + 3_000, T0 + 61 * 60_000].map((timeMs) => ({timeMs}))
    const failures: string[] = []
    let annotated = 0
    let conflicts = 0
    for (const expr of exprs) {
      for (const at of [...ats, {startMs: T0, endMs: END, stepMs: 45_000}]) {
        const {path, params} = queryParams(expr, at)
        const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
        const pick = (b: unknown): string => {
          const a = b as {warnings?: string[]; infos?: string[]}
          return JSON.stringify({warnings: [...(a.warnings ?? [])].sort(), infos: [...(a.infos ?? [])].sort()})
        }
        const t = pick(theirs.body)
        const o = pick(ours.body)
        if (t !== o) failures.push(`${expr} ${JSON.stringify(at)}:\n  ours   ${o}\n  theirs ${t}`)
        if (t !== '{"warnings":[],"infos":[]}') annotated++
        if (t.includes('conflicting counter resets')) conflicts++
      }
    }
    assert.deepEqual(failures, [], `${failures.length} answers differ:\n${failures.slice(0, 30).join('\n')}`)
    assert.ok(annotated > 20, `answers had annotations (${annotated})`)
    // hints decided by statistics decoding (histogram_count(sum_over_time(...)) and the like)
    assert.ok(conflicts > 0, `answers warned of conflicting counter resets (${conflicts})`)
  })
})
