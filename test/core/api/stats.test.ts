import assert from 'node:assert/strict'
import {Engine} from '../../../src/core/promql/engine/engine.js'
import {serveApi} from '../../helpers/api-server.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'

/**
 * The `stats` parameter of /api/v1/query and query_range next to a real Prometheus 3 started
 * with --enable-feature=promql-per-step-stats on the same data: the same keys in the same
 * order, the same sample counts, the same deprecation warning.
 */
const T0 = 1_700_006_400_000
const data: SeriesSpec[] = [0, 1, 2].map((k) => ({metric: 'x_total', labels: {k: String(k)}, samples: samples(T0, 15_000, 120, (i) => i * (k + 1))}))
const TIMINGS = ['evalTotalTime', 'resultSortTime', 'queryPreparationTime', 'innerEvalTime', 'execQueueTime', 'execTotalTime']

interface Answer {
  status: number
  body: {status: string; data?: {resultType: string; result: unknown; stats?: {timings: Record<string, number>; samples: Record<string, unknown>}}; warnings?: string[]; error?: string}
  text: string
}

describe('api: stats=true / stats=all as Prometheus 3', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let api: Awaited<ReturnType<typeof serveApi>> | undefined
  let ours: string

  before(async () => {
    prom = await startPrometheus({version: 3, series: data, extraArgs: ['--enable-feature=promql-per-step-stats']})
    api = await serveApi(new Engine({enablePerStepStats: true}), data)
    ours = api.url
  })
  after(async () => {
    await api?.close()
    await prom?.stop()
  })

  async function get(base: string, path: string, params: Record<string, string>): Promise<Answer> {
    const res = await fetch(`${base}/api/v1/${path}?${new URLSearchParams(params)}`)
    const text = await res.text()
    return {status: res.status, body: JSON.parse(text) as Answer['body'], text}
  }

  /** Everything but the timings' values, which are clock readings. */
  function comparable(a: Answer): unknown {
    const stats = a.body.data?.stats
    return {...a.body, data: a.body.data && {...a.body.data, stats: stats && {timings: Object.keys(stats.timings), samples: stats.samples}}}
  }

  const at = String((T0 + 1_200_000) / 1000)
  const range = {start: String((T0 + 600_000) / 1000), end: at, step: '30'}
  const cases: [string, Record<string, string>][] = [
    ['query', {query: 'x_total', time: at, stats: 'true'}],
    ['query', {query: 'sum(rate(x_total[5m]))', time: at, stats: 'all'}],
    ['query', {query: 'x_total[2m]', time: at, stats: 'all'}],
    ['query', {query: 'max_over_time(x_total[5m:1m])', time: at, stats: '1'}],
    ['query', {query: 'x_total', time: at}],
    ['query_range', {query: 'rate(x_total[1m]) * 2', ...range, stats: 'all'}],
    ['query_range', {query: 'topk(2, x_total)', ...range, stats: 'true'}],
    ['query_range', {query: 'vector(1)', ...range, stats: 'yes'}],
  ]
  for (const [path, params] of cases) {
    it(`${path} ${params.query} stats=${params.stats ?? ''}: the same answer, stats and all`, async () => {
      const want = await get(prom.url, path, params)
      const got = await get(ours, path, params)
      assert.equal(got.status, 200, got.text)
      assert.deepEqual(comparable(got), comparable(want))
      if (params.stats) {
        assert.deepEqual(Object.keys(got.body.data!.stats!.timings), TIMINGS)
        for (const k of TIMINGS) assert.ok(got.body.data!.stats!.timings[k]! >= 0, k)
        // `stats` follows `result` inside `data`, as Prometheus writes it
        assert.ok(got.text.indexOf('"stats":') > got.text.indexOf('"result":'))
      } else assert.equal(got.body.data?.stats, undefined)
    })
  }

  it('a failing query has no stats, as Prometheus', async () => {
    const params = {query: 'x_total', start: at, end: range.start, step: '30', stats: 'all'}
    const want = await get(prom.url, 'query_range', params)
    assert.deepEqual(comparable(await get(ours, 'query_range', params)), comparable(want))
  })
})
