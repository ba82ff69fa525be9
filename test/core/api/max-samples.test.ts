import assert from 'node:assert/strict'
import {Engine} from '../../../src/core/promql/engine/engine.js'
import {serveApi} from '../../helpers/api-server.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'

/**
 * The max-samples refusal through the HTTP API, next to a real Prometheus 3 started with the
 * same --query.max-samples and data: same status (422) and body.
 */
const T0 = 1_700_006_400_000
const MAX = 1000

const data: SeriesSpec[] = [0, 1, 2].map((k) => ({metric: 'x', labels: {k: String(k)}, samples: samples(T0, 15_000, 120, (i) => i * (k + 1))}))

describe('api: queries over max samples are refused with 422, as Prometheus', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let api: Awaited<ReturnType<typeof serveApi>> | undefined
  let ours: string

  before(async () => {
    prom = await startPrometheus({version: 3, series: data, extraArgs: [`--query.max-samples=${MAX}`]})
    api = await serveApi(new Engine({maxSamples: MAX}), data)
    ours = api.url
  })
  after(async () => {
    await api?.close()
    await prom?.stop()
  })

  async function get(base: string, path: string, params: Record<string, string>): Promise<{status: number; body: unknown}> {
    const res = await fetch(`${base}/api/v1/${path}?${new URLSearchParams(params)}`)
    return {status: res.status, body: await res.json()}
  }

  const at = String((T0 + 1_800_000) / 1000)
  const cases: [string, Record<string, string>][] = [
    // a subquery of 3600 steps
    ['query', {query: 'vector(1)[1h:1s]', time: at}],
    // 1200 inner steps over 3 dense series: 3600 points
    ['query', {query: 'max_over_time(x[20m:1s])', time: at}],
    // 900 subquery points held, and then one series' 300 points as max_over_time's window
    ['query', {query: 'max_over_time(x[5m:1s])', time: at}],
    // a range query whose 3 series hold 1801 points each
    ['query_range', {query: 'x', start: String(T0 / 1000), end: at, step: '1'}],
  ]
  for (const [path, params] of cases) {
    it(`${path} ${params.query}: the same refusal`, async () => {
      const want = await get(prom.url, path, params)
      assert.equal(want.status, 422, JSON.stringify(want.body))
      assert.deepEqual(await get(ours, path, params), want)
    })
  }

  it('x[1y:1ms] is refused the same way at once (Prometheus 3.14 itself runs out of memory on it)', async () => {
    const t0 = performance.now()
    const got = await get(ours, 'query', {query: 'x[1y:1ms]', time: at})
    assert.ok(performance.now() - t0 < 2000)
    assert.deepEqual(got, {status: 422, body: {status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution'}})
  })

  it('queries within the limit still answer as Prometheus', async () => {
    for (const query of ['max_over_time(x[2m:1s])', 'x[30m]', 'sum(max_over_time(x[5m]))']) {
      const params = {query, time: at}
      const want = await get(prom.url, 'query', params)
      assert.equal(want.status, 200, JSON.stringify(want.body))
      assert.deepEqual(await get(ours, 'query', params), want, query)
    }
  })
})
