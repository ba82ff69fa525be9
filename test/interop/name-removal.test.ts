/**
 * Delayed name removal against the real Prometheus 3: two Prometheus 3 processes over the same
 * backfilled data, one started with --enable-feature=promql-delayed-name-removal and one
 * without, and two of our queriers (the feature on and off) over our sidecar in front of the
 * first. Over expressions where the two modes differ (label_replace/label_join reading __name__
 * after functions and operators, sum by (__name__), series that a dropped name makes equal,
 * info(), date functions, bool comparisons, unary minus), instant and range, each of our
 * queriers must answer as the Prometheus in its mode: the same series, values and annotations,
 * or the same error.
 */
import assert from 'node:assert/strict'
import {compareResponses} from '../../bench/compare.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {samples, type SeriesSpec} from '../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiPost, queryParams, type ApiAnswer} from '../helpers/prom-api.js'
import {startSidecar} from '../helpers/sidecar.js'

const START = Date.UTC(2026, 10, 20, 0, 0, 0)
const STEP = 15_000
const N = 240 // 1h
const END = START + (N - 1) * STEP
const MIN = 60_000

function series(): SeriesSpec[] {
  const s = (metric: string, labels: Record<string, string>, value: (i: number) => number | undefined): SeriesSpec => ({metric, type: 'gauge', labels, samples: samples(START, STEP, N, value)})
  const inst = {job: 'y', instance: 'i'}
  return [
    // equal but for the name, at times apart (more than the lookback between them)
    s('nr_a', {job: 'x'}, (i) => (i < 80 ? i * 2 : undefined)),
    s('nr_b', {job: 'x'}, (i) => (i >= 120 ? i * 3 : undefined)),
    // equal but for the name, at all times
    s('nr_c', inst, (i) => 1 + i),
    s('nr_d', inst, (i) => 2 + (i % 7)),
    s('nr_e', inst, () => 1),
    s('target_info', {...inst, env: 'prod'}, () => 1),
    // two classic histograms equal but for the name, and a malformed bucket
    ...['0.1', '1', '+Inf'].flatMap((le, k) => [s('nr_h_bucket', {job: 'y', le}, (i) => i * (k + 1)), s('nr_g_bucket', {job: 'y', le}, (i) => i * (k + 2))]),
    s('nr_bad_bucket', {job: 'y', le: 'abc'}, (i) => i),
    // unix times for date functions
    s('nr_ts', {job: 'z'}, (i) => 1_700_000_000 + i * 3_600),
    s('nr_ts2', {job: 'z'}, (i) => 1_600_000_000 + i * 86_400),
  ]
}

const LR = (e: string): string => `label_replace(${e}, "n", "$1", "__name__", "(.*)")`

const EXPRESSIONS = [
  LR('rate(nr_c[5m])'),
  'label_join(abs(nr_c), "n", "-", "__name__", "job")',
  LR('nr_c * 2'),
  LR('2 - nr_c'),
  LR('nr_c > bool 1'),
  LR('nr_c == bool nr_c'),
  LR('-nr_c'),
  LR('hour(nr_ts)'),
  LR('topk(1, rate(nr_c[5m]))'),
  LR('nr_c * nr_e'),
  LR('last_over_time(nr_c[5m])'),
  LR('clamp(nr_c, 0, 50)'),
  LR('round(rate(nr_c[5m]))'),
  LR('sum by (job, __name__) (nr_c) * 1'),
  'label_replace(rate(nr_c[5m]), "__name__", "renamed", "", "")',
  'sum by (__name__) (rate({__name__=~"nr_c|nr_d"}[5m]))',
  'count(sum by (__name__) (abs({__name__=~"nr_c|nr_d"})))',
  'sum by (__name__) (-nr_c)',
  'abs({__name__=~"nr_c|nr_d"})',
  'nr_c > bool 5 or nr_d > bool 5',
  'rate({__name__=~"nr_a|nr_b"}[5m])',
  '-{__name__=~"nr_a|nr_b"}',
  'abs({__name__=~"nr_a|nr_b"})',
  '{__name__=~"nr_a|nr_b"} * 2',
  'timestamp({__name__=~"nr_a|nr_b"})',
  'max_over_time(abs({__name__=~"nr_a|nr_b"})[1h:1m])',
  // the "might not be a counter" info names the subquery's metric only while the name is pending
  'rate(abs(nr_c)[5m:1m])',
  // a subquery passes a pending drop on (its series are StorageSeries with DropName)
  LR('last_over_time(rate(nr_c[5m])[10m:1m])'),
  'sum by (__name__) (last_over_time(abs({__name__=~"nr_c|nr_d"})[10m:1m]))',
  'last_over_time(abs({__name__=~"nr_c|nr_d"})[10m:1m])',
  '{__name__=~"nr_c|nr_d"} > bool on(job, instance) group_left nr_e',
  'info(-target_info)',
  LR('info(-target_info)'),
  'info(rate(nr_c[5m]))',
  'histogram_quantile(0.5, rate({__name__=~"nr_h_bucket|nr_g_bucket"}[5m]))',
  'histogram_quantile(0.5, {__name__=~"nr_h_bucket|nr_g_bucket"})',
  'histogram_quantile(0.5, nr_h_bucket)',
  'histogram_quantile(0.5, nr_bad_bucket)',
  'day_of_week({__name__=~"nr_ts|nr_ts2"})',
  'sort_desc(-nr_c)',
]

/**
 * A subquery as an instant query's result: the drop applied at the end, equal series merged.
 * Instant only (a range query refuses a range vector: Prometheus with bad_data, HTTP 400).
 */
const MATRIX_EXPRESSIONS = ['(-{__name__=~"nr_a|nr_b"})[1h:1m]', '(-{__name__=~"nr_c|nr_d"})[10m:1m]', '(-nr_c)[10m:1m]', 'last_over_time(rate(nr_c[5m])[10m:1m])[5m:1m]']

const qurl = (q: RunningQuerier): string => `http://127.0.0.1:${q.httpPort}`

function annotationsOf(a: ApiAnswer): string {
  return JSON.stringify({warnings: [...(a.body.warnings ?? [])].sort(), infos: [...(a.body.infos ?? [])].sort()})
}

/** How ours differs from Prometheus's answer, or undefined. */
function difference(theirs: ApiAnswer, ours: ApiAnswer): string | undefined {
  if (theirs.code !== ours.code) return `HTTP ${ours.code}, Prometheus ${theirs.code}: ${ours.text.slice(0, 200)} | ${theirs.text.slice(0, 200)}`
  if (theirs.code !== 200) {
    if (ours.body.errorType !== theirs.body.errorType || ours.body.error !== theirs.body.error) return `${ours.body.errorType}: ${ours.body.error} | Prometheus ${theirs.body.errorType}: ${theirs.body.error}`
    return undefined
  }
  const diff = compareResponses(theirs.body, ours.body, new Set())
  if (diff) return diff
  if (annotationsOf(theirs) !== annotationsOf(ours)) return `annotations ${annotationsOf(ours)}, Prometheus ${annotationsOf(theirs)}`
  return undefined
}

describe('interop: delayed name removal on and off, as Prometheus 3', function () {
  this.timeout(300_000)
  let proms: PrometheusHandle[]
  let sidecar: RunningSidecar
  const queriers: RunningQuerier[] = []

  before(async function () {
    this.timeout(120_000)
    const common = {version: 3 as const, externalLabels: {replica: 'a'}, series: series()}
    // info() is experimental in Prometheus 3.14
    proms = await startPrometheusSet([
      {...common, extraArgs: ['--enable-feature=promql-experimental-functions']},
      {...common, extraArgs: ['--enable-feature=promql-experimental-functions,promql-delayed-name-removal']},
    ])
    sidecar = await startSidecar(proms[0]!)
    for (const enableDelayedNameRemoval of [false, true]) {
      queriers.push(
        await runQuerier(querierConfig([`127.0.0.1:${sidecar.grpcPort}`], nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300, enableDelayedNameRemoval})),
      )
    }
    const deadline = Date.now() + 30_000
    while (queriers.some((q) => q.endpoints.storeRefs().length < 1)) {
      if (Date.now() > deadline) throw new Error('a querier does not see the sidecar')
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  after(async function () {
    for (const q of queriers) await q.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await Promise.all((proms ?? []).map((p) => p.stop()))
  })

  it(`answers ${EXPRESSIONS.length + MATRIX_EXPRESSIONS.length} expressions, instant and range, as Prometheus 3 in each mode`, async function () {
    const failures: string[] = []
    // expressions whose answers differ between Prometheus's two modes: what this test is about
    let modesDiffer = 0
    let errors = 0
    const ats: ({timeMs: number} | {startMs: number; endMs: number; stepMs: number})[] = [{timeMs: START + 10 * MIN}, {timeMs: END}, {startMs: START, endMs: END, stepMs: MIN}]
    for (const expr of [...EXPRESSIONS, ...MATRIX_EXPRESSIONS]) {
      let differs = false
      for (const at of MATRIX_EXPRESSIONS.includes(expr) ? ats.slice(0, 2) : ats) {
        const {path, params} = queryParams(expr, at)
        const kind = 'timeMs' in at ? `instant @${(at.timeMs - START) / MIN}m` : 'range'
        const answers = await Promise.all([apiPost(proms[0]!.url, path, params), apiPost(qurl(queriers[0]!), path, params), apiPost(proms[1]!.url, path, params), apiPost(qurl(queriers[1]!), path, params)])
        const [offTheirs, offOurs, onTheirs, onOurs] = answers
        for (const [mode, theirs, ours] of [['off', offTheirs!, offOurs!], ['on', onTheirs!, onOurs!]] as const) {
          const d = difference(theirs, ours)
          if (d) failures.push(`${expr} (${kind}, delayed name removal ${mode}): ${d}`)
          if (theirs.code !== 200) errors++
        }
        if (difference(offTheirs!, onTheirs!)) differs = true
      }
      if (differs) modesDiffer++
    }
    assert.deepEqual(failures, [])
    // the expressions tell the modes apart, and some are errors
    assert.ok(modesDiffer >= EXPRESSIONS.length / 2, `the modes differ on ${modesDiffer} of ${EXPRESSIONS.length}`)
    assert.ok(errors > 0)
  })
})
