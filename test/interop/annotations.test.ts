/**
 * PromQL annotations beside a real Prometheus 3: expressions that trigger (and that do not
 * trigger) each float annotation, asked of Prometheus 3 and of `thanosts query` through our
 * sidecar in front of it, instant and range. Our `warnings` and `infos` must be Prometheus's,
 * text and position alike (sorted: Prometheus writes them in map order).
 *
 * Prometheus runs with delayed name removal (as our engine always evaluates: annotations then
 * name the metric) and experimental functions (sort_by_label, histogram_quantiles, limit_ratio).
 */
import assert from 'node:assert/strict'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {samples, type SeriesSpec} from '../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiPost, queryParams, type ApiAnswer} from '../helpers/prom-api.js'
import {startSidecar} from '../helpers/sidecar.js'

const START = Date.UTC(2026, 10, 20, 0, 0, 0)
const STEP = 30_000
const POINTS = 240 // 2 h
const END = START + (POINTS - 1) * STEP
const AT = END - 10 * 60_000
const RANGE = {startMs: END - 30 * 60_000, endMs: END, stepMs: 60_000}

function gauge(metric: string, labels: Record<string, string>, value: (i: number) => number): SeriesSpec {
  return {metric, type: 'gauge', labels, samples: samples(START, STEP, POINTS, (i) => value(i))}
}

/** Classic histogram buckets as gauges named `<name>_bucket`, counts(i) per bound. */
function buckets(name: string, labels: Record<string, string>, bounds: Record<string, (i: number) => number>): SeriesSpec[] {
  return Object.entries(bounds).map(([le, f]) => gauge(`${name}_bucket`, {...labels, le}, f))
}

function series(): SeriesSpec[] {
  return [
    {metric: 'app_requests', type: 'counter', labels: {instance: 'a', job: 'api'}, samples: samples(START, STEP, POINTS, (i) => i * 3)},
    {metric: 'app_requests', type: 'counter', labels: {instance: 'b', job: 'api'}, samples: samples(START, STEP, POINTS, (i) => (i % 100) * 2)},
    gauge('app_temp', {instance: 'a', job: 'api'}, (i) => 20 + (i % 7)),
    gauge('app_temp', {instance: 'b', job: 'api'}, (i) => 5 + i / 10),
    gauge('app_bytes_sum', {job: 'api'}, (i) => i * 100),
    gauge('app_bytes_count', {job: 'api'}, (i) => i),
    gauge('app_ratio', {job: 'api'}, (i) => (i % 30) / 10), // 0 .. 2.9: quantiles in and out of [0, 1] over time
    ...buckets('lat', {job: 'api'}, {'0.1': (i) => i, '0.5': (i) => 2 * i, '1': (i) => 3 * i, '+Inf': (i) => 4 * i}),
    // not monotonic at the 0.5 and 1 buckets, and only from the 120th sample on
    ...buckets('nm', {job: 'api'}, {'0.1': (i) => 10 + i, '0.5': (i) => (i >= 120 ? 5 : 20 + i), '1': (i) => (i >= 120 ? 7.5 : 30 + i), '+Inf': (i) => 40 + i}),
    // le values strconv.ParseFloat rejects ("abc", "0x10") and accepts ("1_0", "0x1p-2", "Inf")
    ...buckets('bad', {job: 'api'}, {abc: (i) => i, '0x10': (i) => i, '1_0': (i) => 2 * i, '0x1p-2': (i) => i / 2, Inf: (i) => 3 * i}),
    gauge('nole_bucket', {job: 'api'}, (i) => i),
  ]
}

/** [expression, what it is about]; each runs as an instant and as a range query. */
const EXPRESSIONS: string[] = [
  // rate/increase on names without a counter suffix: an info
  'rate(app_temp[5m])',
  'increase(app_temp[5m])',
  'rate(app_requests_total[5m])',
  'rate(app_bytes_sum[5m]) + rate(app_bytes_count[5m])',
  'irate(app_temp[5m])',
  'resets(app_temp[5m]) + changes(app_temp[5m])',
  'delta(app_temp[5m])',
  'rate(app_temp[5m:1m])',
  'sum(rate(app_temp[5m])) + sum(rate((app_temp[10m])))',
  'rate(nothing_here[5m])',
  'rate(abs(app_temp)[5m:1m])',
  'sum by (job) (\n  rate(app_temp{job="api"}[5m])\n)',
  'sum(app_temp{job!="äöü"}) + sum(rate(app_temp[5m]))',
  // quantile out of range
  'quantile(1.5, app_temp)',
  'quantile(-0.5, app_temp)',
  'quantile(NaN, app_temp)',
  'quantile(Inf, app_temp)',
  'quantile((1e6), app_temp)',
  'quantile(0.5, app_temp)',
  'quantile(2, nothing_here)',
  'quantile(scalar(app_ratio), app_temp)',
  'quantile(scalar(app_ratio) - 1, app_temp)',
  'quantile_over_time(2, app_temp[10m])',
  'quantile_over_time(-1, nothing_here[10m])',
  'quantile_over_time(0.5, app_temp[10m])',
  'quantile_over_time(scalar(app_ratio), app_temp[2m])',
  'histogram_quantile(1.5, lat_bucket)',
  'histogram_quantile(NaN, nothing_here)',
  'histogram_quantile(0.9, rate(lat_bucket[5m]))',
  'histogram_quantiles(lat_bucket, "q", 0.5, 2, -1)',
  // ratio out of range
  'limit_ratio(1.5, app_temp)',
  'limit_ratio(-1.1, app_temp)',
  'limit_ratio(0.5, app_temp)',
  // le missing or malformed, forced monotonicity
  'histogram_quantile(0.5, bad_bucket)',
  'histogram_fraction(0, 0.5, bad_bucket)',
  'histogram_quantile(0.5, nole_bucket)',
  'histogram_quantile(0.5, nm_bucket)',
  // the range starts before the counts stop being monotonic
  'histogram_quantile(0.5, nm_bucket offset 45m)',
  'histogram_quantile(0.5, nm_bucket) + histogram_quantile(0.9, nm_bucket)',
  'histogram_quantiles(nm_bucket, "q", 0.25, 0.75)',
  'histogram_quantiles(nm_bucket, "q", 2, 0.75)',
  'max_over_time(histogram_quantile(0.5, nm_bucket)[5m:1m])',
  // step invariant: Prometheus evaluates it once, at the start
  'histogram_quantile(0.5, nm_bucket @ end())',
  'max_over_time(histogram_quantile(0.5, nm_bucket)[5m:1m] @ end())',
  // sort in range queries (and where it is step invariant)
  'sort(app_temp)',
  'sort_desc(app_temp)',
  'sort_by_label(app_temp, "instance")',
  'sort_by_label_desc(app_temp, "instance")',
  `sort(app_temp @ ${AT / 1000})`,
  'sort(app_temp @ end())',
  'sum(sort(app_temp))',
  'max_over_time(sort(app_temp)[5m:1m])',
  'max_over_time(sort(app_temp)[5m:1m] @ end())',
  'sort(app_temp offset 5m)',
  'sort(vector(1))',
  'timestamp(sort(app_temp @ end()))',
  'sort(app_temp) + sort(app_temp)',
  'label_replace(sort(app_temp), "a", "b", "", "")',
  'count_values("v", sort_desc(app_temp))',
  // several at once
  'increase(app_temp[5m] offset 1m) and on() quantile_over_time(3, app_ratio[5m:1m])',
  'sort(rate(app_temp[5m])) + on(instance) group_left quantile(2, app_temp)',
]

function annotationsOf(a: ApiAnswer): {warnings: string[]; infos: string[]} {
  return {warnings: [...(a.body.warnings ?? [])].sort(), infos: [...(a.body.infos ?? [])].sort()}
}

describe('interop: PromQL annotations as Prometheus 3 gives them', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({
      version: 3,
      externalLabels: {replica: 'a'},
      series: series(),
      extraArgs: ['--enable-feature=promql-experimental-functions,promql-delayed-name-removal'],
    })
    sidecar = await startSidecar(prom)
    querier = await runQuerier(querierConfig([`127.0.0.1:${sidecar.grpcPort}`], nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300, enableDelayedNameRemoval: true}))
    url = `http://127.0.0.1:${querier.httpPort}`
    const deadline = Date.now() + 30_000
    while (querier.endpoints.storeRefs().length < 1) {
      if (Date.now() > deadline) throw new Error('the querier does not see the sidecar')
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  it(`gives the warnings and infos Prometheus 3 gives, for ${EXPRESSIONS.length} expressions, instant and range`, async function () {
    const failures: string[] = []
    const seen = {warnings: 0, infos: 0, none: 0}
    for (const expr of EXPRESSIONS) {
      for (const at of [{timeMs: AT}, RANGE]) {
        const {path, params} = queryParams(expr, at)
        const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
        const kind = 'timeMs' in at ? 'instant' : 'range'
        if (theirs.code !== 200 || ours.code !== 200) {
          failures.push(`${expr} (${kind}): HTTP ${ours.code}, Prometheus ${theirs.code}: ${ours.text.slice(0, 200)} | ${theirs.text.slice(0, 200)}`)
          continue
        }
        const [t, o] = [annotationsOf(theirs), annotationsOf(ours)]
        if (JSON.stringify(t) !== JSON.stringify(o)) failures.push(`${JSON.stringify(expr)} (${kind}):\n  ours       ${JSON.stringify(o)}\n  Prometheus ${JSON.stringify(t)}`)
        if (t.warnings.length > 0) seen.warnings++
        if (t.infos.length > 0) seen.infos++
        if (t.warnings.length + t.infos.length === 0) seen.none++
      }
    }
    assert.deepEqual(failures, [])
    // the list exercises all three cases
    assert.ok(seen.warnings >= 20 && seen.infos >= 8 && seen.none >= 10, JSON.stringify(seen))
  })

  it('warns about sort in a range query of one step, where start and end differ, not where they are equal', async function () {
    for (const [startMs, endMs, want] of [[AT, AT + 30_000, 1], [AT, AT, 0]] as const) {
      const {path, params} = queryParams('sort(app_temp)', {startMs, endMs, stepMs: 60_000})
      const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
      assert.deepEqual(annotationsOf(ours), annotationsOf(theirs))
      assert.equal(annotationsOf(ours).warnings.length, want)
    }
  })

  it('keeps at most 10 warnings, then says how many it left out, as Prometheus', async function () {
    const expr = Array.from({length: 12}, (_, k) => `quantile(${k + 2}, app_temp)`).join(' + ')
    const {path, params} = queryParams(expr, {timeMs: AT})
    const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
    // which ten Prometheus keeps depends on Go's map order: compare the count and the last line
    const shape = (a: ApiAnswer) => {
      const w = a.body.warnings ?? []
      return {n: w.length, last: w[w.length - 1], infos: a.body.infos ?? []}
    }
    assert.deepEqual(shape(ours), shape(theirs))
    assert.equal(shape(ours).last, '2 more warning annotations omitted')
  })
})
