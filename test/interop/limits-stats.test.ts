/**
 * Query limits and `stats` beside a real Prometheus 3 (the peers' build), on the same
 * backfilled data: `thanosts query` through our sidecar in front of it, both with the same
 * --query.max-samples and per-step stats enabled.
 * - each limit case (too many samples, the 11,000-points resolution limit, ranges beyond Go's
 *   durations) gets the same HTTP status, errorType and error text;
 * - queries with stats=all get the same result and the same sample counts (totalQueryableSamples,
 *   samplesRead, peakSamples, and per step for range queries), and the same timing keys.
 */
import assert from 'node:assert/strict'
import type {RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {nativeHistogramWriteSeries} from '../core/chunkenc/native-histogram-fixtures.js'
import {remoteWriteHistograms} from '../helpers/native-histogram-remote-write.js'
import {samples, type SeriesSpec} from '../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiPost, queryParams, type ApiAnswer, type ApiParams} from '../helpers/prom-api.js'
import {startQuerier} from '../helpers/querier.js'
import {startSidecar} from '../helpers/sidecar.js'

const T0 = Date.UTC(2026, 10, 20, 0, 0, 0)
const HOUR = 3_600_000
const MAX_SAMPLES = 1000
/** 3 series every 15 s and a counter every 30 s, for an hour */
const data: SeriesSpec[] = [
  ...[0, 1, 2].map((k) => ({metric: 'x', labels: {k: String(k)}, samples: samples(T0, 15_000, 240, (i) => i * (k + 1))})),
  {metric: 'y_total', labels: {a: '1'}, samples: samples(T0, 30_000, 120, (i) => i)},
  // info(): target_info for two instances of m
  ...['i1', 'i2'].flatMap((instance, k): SeriesSpec[] => [
    {metric: 'target_info', labels: {job: 'j', instance, version: `v${k}`}, samples: samples(T0, 60_000, 60, () => 1)},
    {metric: 'm', labels: {job: 'j', instance}, samples: samples(T0, 15_000, 240, (i) => i)},
  ]),
]
const AT = T0 + HOUR - 30_000
const RANGE = {startMs: AT - 1_200_000, endMs: AT, stepMs: 60_000}

interface Stats {
  timings: Record<string, number>
  samples: Record<string, unknown>
}

describe('interop: query limits and stats as Prometheus 3', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({version: 3, externalLabels: {replica: 'a'}, series: data, extraArgs: [`--query.max-samples=${MAX_SAMPLES}`, '--enable-feature=promql-per-step-stats,promql-extended-range-selectors,promql-experimental-functions']})
    sidecar = await startSidecar(prom)
    querier = await startQuerier([`127.0.0.1:${sidecar.grpcPort}`], {replicaLabels: ['replica'], maxSamples: MAX_SAMPLES, enablePerStepStats: true})
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  async function both(path: string, params: ApiParams): Promise<[ApiAnswer, ApiAnswer]> {
    return Promise.all([apiPost(url, path, params), apiPost(prom.url, path, params)])
  }

  const sec = (ms: number): string => String(ms / 1000)
  const limitCases: [string, string, ApiParams][] = [
    // too many samples (422 execution)
    ['a subquery of 3 x 1200 points', '/api/v1/query', {query: 'max_over_time(x[20m:1s])', time: sec(AT)}],
    ['a step-invariant subquery of 3600 points', '/api/v1/query', {query: 'vector(1)[1h:1s]', time: sec(AT)}],
    ['a range query of 3 x 1201 points', '/api/v1/query_range', {query: 'x', start: sec(AT - 1_200_000), end: sec(AT), step: '1'}],
    ['a binary operation holding both sides at every step', '/api/v1/query_range', {query: 'x * on(k) x', ...rangeParams(AT - 3_000_000, AT, 10)}],
    // x * 2 over n steps holds 3n + n operands, 4 gathered, 3n results: 1005 at 143 steps
    ['x * 2 over 143 steps, just over the limit', '/api/v1/query_range', {query: 'x * 2', ...rangeParams(AT - 1_420_000, AT, 10)}],
    ['x * 2 over 141 steps, just under it', '/api/v1/query_range', {query: 'x * 2', ...rangeParams(AT - 1_400_000, AT, 10)}],
    ['720 raw samples of a range', '/api/v1/query', {query: 'x[1h]', time: sec(AT)}],
    // answered (more steps or range than max samples, but few samples held)
    ['8760 subquery steps over an hour of data', '/api/v1/query', {query: 'x[1y:1h]', time: sec(AT)}],
    ['a 100y range over an hour of data', '/api/v1/query', {query: 'rate(y_total[100y])', time: sec(AT)}],
    ['11,000 points of nothing', '/api/v1/query_range', {query: 'nope', start: '0', end: '11000', step: '1'}],
    ['11,000.5 points of nothing (whole steps, as Go divides durations)', '/api/v1/query_range', {query: 'nope', start: '0', end: '11000.5', step: '1'}],
    // the resolution limit (400 bad_data)
    ['11,001 points', '/api/v1/query_range', {query: 'nope', start: '0', end: '11001', step: '1'}],
    ['11,001 points of a short query', '/api/v1/query_range', {query: 'x', start: sec(AT - 110_010_000), end: sec(AT), step: '10'}],
    // ranges beyond Go's durations, and empty ones (400 bad_data, parse errors)
    ['a 300y range', '/api/v1/query', {query: 'rate(x[300y])', time: sec(AT)}],
    ['a range of 1e10 seconds', '/api/v1/query', {query: 'x[1e10]', time: sec(AT)}],
    ['an offset of 293y', '/api/v1/query', {query: 'x offset 293y', time: sec(AT)}],
    ['a subquery of 1000y', '/api/v1/query', {query: 'rate(x[5m])[1000y:1m]', time: sec(AT)}],
    ['a subquery step of 0s', '/api/v1/query', {query: 'x[5m:0s]', time: sec(AT)}],
    // an execution error naming series: label sets printed as Prometheus's Labels.String()
    ['many-to-many matching', '/api/v1/query', {query: 'x + on(__name__) x', time: sec(AT)}],
  ]
  for (const [what, path, params] of limitCases) {
    it(`${what} (${String(params.query)}): the same status and error`, async () => {
      const [ours, theirs] = await both(path, params)
      assert.equal(ours.code, theirs.code, `${ours.text.slice(0, 300)} | ${theirs.text.slice(0, 300)}`)
      assert.equal(ours.body.errorType, theirs.body.errorType)
      assert.equal(ours.body.error, theirs.body.error)
      if (theirs.code === 200) assert.deepEqual(ours.body.data, theirs.body.data)
    })
  }

  it('the limit cases cover each answer: 422, 400 and 200', async () => {
    const codes = new Set<number>()
    for (const [, path, params] of limitCases) codes.add((await apiPost(prom.url, path, params)).code)
    assert.deepEqual([...codes].sort(), [200, 400, 422])
  })

  const statsQueries = [
    'x',
    'x[5m]',
    'rate(x[5m])',
    'sum by (k) (rate(x[5m]))',
    'x * 2',
    'x > bool 10',
    'sum by (k) (x) / on(k) x',
    'topk(2, x)',
    'quantile(0.9, x)',
    'count_values("v", x)',
    'vector(1)',
    'time() - timestamp(x)',
    'scalar(sum(x)) + 1',
    'absent(nope)',
    'absent_over_time(x[5m])',
    'histogram_quantile(0.9, x)',
    'quantile_over_time(0.5, x[5m])',
    'label_replace(x, "a", "$1", "k", "(.*)")',
    'max_over_time(x[5m:1m])',
    'max_over_time(rate(x[1m])[10m:1m])',
    'max_over_time(x[10m:30s] offset 1m)',
    'rate(x[5m] @ end())',
    'sum(x @ start()) + x',
    'increase(y_total[2m])',
    'x or vector(1)',
    'x unless x{k="1"}',
    // extended range selectors: smoothed selectors count each series' last window as held
    'x smoothed',
    'sum(x smoothed) * 2',
    'rate(x[5m] anchored)',
    'increase(x[5m] smoothed)',
    // a range vector result extended to the range's edges (engine.go extendFloats)
    'x[5m] anchored',
    'x[5m] smoothed',
    'timestamp(x smoothed)',
    // info(): the base and info series held while joined
    'info(m)',
    'sum by (version) (info(rate(m[5m])))',
  ]
  for (const query of statsQueries) {
    for (const kind of ['instant', 'range'] as const) {
      if (kind === 'range' && query.startsWith('x[5m]')) continue
      it(`${kind} ${query} stats=all: the same result and sample counts`, async () => {
        const {path, params} = queryParams(query, kind === 'instant' ? {timeMs: AT} : RANGE, {stats: 'all'})
        const [ours, theirs] = await both(path, params)
        assert.equal(theirs.code, 200, theirs.text.slice(0, 300))
        assert.equal(ours.code, 200, ours.text.slice(0, 300))
        const [o, t] = [ours.body.data as unknown as {result: unknown; stats: Stats}, theirs.body.data as unknown as {result: unknown; stats: Stats}]
        assert.deepEqual(unordered(o.result), unordered(t.result))
        assert.deepEqual(o.stats.samples, t.stats.samples)
        assert.deepEqual(Object.keys(o.stats.timings), Object.keys(t.stats.timings))
        if (kind === 'range') assert.ok(Array.isArray(t.stats.samples.totalQueryableSamplesPerStep), 'per-step counts are compared')
      })
    }
  }

  it('stats=true: the same counts without per-step ones', async () => {
    const {path, params} = queryParams('sum(rate(x[5m]))', RANGE, {stats: 'true'})
    const [ours, theirs] = await both(path, params)
    const [o, t] = [ours.body.data as unknown as {stats: Stats}, theirs.body.data as unknown as {stats: Stats}]
    assert.equal(t.stats.samples.totalQueryableSamplesPerStep, undefined)
    assert.deepEqual(o.stats.samples, t.stats.samples)
  })
})

/** An instant vector's samples in a fixed order (Prometheus leaves count_values' order to a map). */
function unordered(result: unknown): unknown {
  if (!Array.isArray(result) || result.length === 0 || typeof result[0] !== 'object') return result
  return [...(result as {metric: unknown}[])].sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1))
}

function rangeParams(startMs: number, endMs: number, stepSec: number): ApiParams {
  return {start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepSec)}
}

/**
 * Native histograms count by their size (promql/value.go HPoint.size, Vector.TotalSamples):
 * remote-written histograms of many buckets, the same stats and max-samples errors as
 * Prometheus 3, with a limit between the old one-per-sample count and the sized one.
 */
describe('interop: native histogram sizes in query limits and stats as Prometheus 3', function () {
  this.timeout(300_000)
  const H2 = 2 * HOUR
  const BOUNDARY = Math.floor((Date.now() - 50 * 60_000) / H2) * H2
  const HT0 = BOUNDARY - 55 * 60_000
  const HAT = HT0 + 60 * 60_000
  const HRANGE = {startMs: HAT - 1_200_000, endMs: HAT, stepMs: 60_000}
  const HMAX = 20_000
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({version: 3, externalLabels: {replica: 'a'}, extraArgs: [`--query.max-samples=${HMAX}`, '--web.enable-remote-write-receiver', '--enable-feature=promql-per-step-stats']})
    await remoteWriteHistograms(prom.url, nativeHistogramWriteSeries(HT0))
    sidecar = await startSidecar(prom)
    querier = await startQuerier([`127.0.0.1:${sidecar.grpcPort}`], {replicaLabels: ['replica'], maxSamples: HMAX, enablePerStepStats: true})
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  const ALLH = '{__name__=~"nh_.+"}'
  const queries = [
    'nh_long',
    'nh_exp',
    'nh_nhcb',
    ALLH,
    'nh_long[5m]',
    `${ALLH}[2m]`,
    'rate(nh_long[5m])',
    'rate(nh_float[5m])',
    'sum(nh_long)',
    `sum by (__name__) (${ALLH})`,
    'sum(rate(nh_exp[5m]))',
    'rate(nh_long[5m:1m])',
    'last_over_time(nh_float[5m:30s])',
    'nh_exp[10m:1m]',
    'count_over_time(nh_long[5m])',
    'max_over_time(nh_exp[5m])',
    'histogram_count(nh_long)',
    'histogram_quantile(0.9, rate(nh_long[5m]))',
    'nh_long * 2',
    '-nh_float_long',
    'timestamp(nh_long)',
    'nh_long @ end()',
    'nh_long and nh_long offset 1m',
  ]
  for (const query of queries) {
    for (const kind of ['instant', 'range'] as const) {
      if (kind === 'range' && /\]$/.test(query)) continue
      it(`${kind} ${query} stats=all: the same result and sized sample counts`, async () => {
        const {path, params} = queryParams(query, kind === 'instant' ? {timeMs: HAT} : HRANGE, {stats: 'all'})
        const [ours, theirs] = await Promise.all([apiPost(url, path, params), apiPost(prom.url, path, params)])
        assert.equal(theirs.code, 200, theirs.text.slice(0, 300))
        assert.equal(ours.code, 200, ours.text.slice(0, 300))
        const [o, t] = [ours.body.data as unknown as {result: unknown; stats: Stats}, theirs.body.data as unknown as {result: unknown; stats: Stats}]
        assert.deepEqual(unordered(o.result), unordered(t.result))
        assert.deepEqual(o.stats.samples, t.stats.samples)
      })
    }
  }

  it('histograms count more than one sample each (the stats are not the sample count)', async () => {
    const {path, params} = queryParams('nh_long', {timeMs: HAT}, {stats: 'all'})
    const t = (await apiPost(prom.url, path, params)).body.data as unknown as {stats: Stats}
    assert.ok((t.stats.samples.totalQueryableSamples as number) > 10, JSON.stringify(t.stats.samples))
  })

  // nh_long (schema 4, many buckets): fewer than HMAX samples (and 3001 steps), more than HMAX by size
  const limitCases: [string, string, ApiParams][] = [
    ['a raw range vector', '/api/v1/query', {query: 'nh_long[60m]', time: String(HAT / 1000)}],
    ['rate over long windows', '/api/v1/query', {query: 'rate(nh_long[60m])', time: String(HAT / 1000)}],
    ['sum over a range query', '/api/v1/query_range', {query: 'sum(nh_long)', ...rangeParams(HT0, HT0 + 6_000_000, 2)}],
    ['a subquery', '/api/v1/query', {query: 'rate(nh_long[60m:15s])', time: String(HAT / 1000)}],
    ['a range query of the selector', '/api/v1/query_range', {query: 'nh_long', ...rangeParams(HT0, HT0 + 6_000_000, 2)}],
  ]
  for (const [what, path, params] of limitCases) {
    it(`${what} (${String(params.query)}): too many samples by size, as Prometheus`, async () => {
      const [ours, theirs] = await Promise.all([apiPost(url, path, params), apiPost(prom.url, path, params)])
      assert.equal(theirs.code, 422, theirs.text.slice(0, 300))
      assert.equal(ours.code, theirs.code, ours.text.slice(0, 300))
      assert.equal(ours.body.errorType, theirs.body.errorType)
      assert.equal(ours.body.error, theirs.body.error)
    })
  }

  it('those limits fall between the sample count and the sized count', async () => {
    // every sample counted once: 240 of nh_long in an hour, far under HMAX; each counts more than 7
    // (counted over 6 windows of 10m: the hour at once is itself over the limit)
    let n = 0
    for (let k = 0; k < 6; k++) {
      const r = await apiPost(prom.url, '/api/v1/query', {query: 'count_over_time(nh_long[10m])', time: String((HAT - k * 600_000) / 1000)})
      n += Number((r.body.data as unknown as {result: {value: [number, string]}[]}).result[0]!.value[1])
    }
    assert.ok(n > 200 && 3001 < HMAX, `${n} samples`)
    const {path, params} = queryParams('nh_long', {timeMs: HAT}, {stats: 'all'})
    const t = (await apiPost(prom.url, path, params)).body.data as unknown as {stats: Stats}
    const size = t.stats.samples.totalQueryableSamples as number
    assert.ok(n * 2 < HMAX && n * size > HMAX && 3001 * size > HMAX, `one point counts ${size}`)
  })
})
