import assert from 'node:assert/strict'
import {labelsFromRecord, labelsToRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {formatGoFloat} from '../../../../src/core/promql/format-float.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import {samples, type SeriesSpec} from '../../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../../helpers/prometheus.js'

/**
 * limitk, limit_ratio, topk and bottomk against a real Prometheus 3 on the same data: the same
 * series, in the same order. limit_ratio picks series by the xxhash of their labels, so this
 * also checks our labels.Hash() bit for bit (long label values take the 255 + 3-byte size
 * path, non-ASCII values the UTF-8 bytes).
 */
const T0 = 1_700_006_400_000
const STEP = 15_000

function dataset(): SeriesSpec[] {
  const out: SeriesSpec[] = []
  let n = 0
  for (const job of ['api', 'web']) {
    for (const group of ['canary', 'production', 'staging']) {
      for (let i = 0; i < 8; i++) {
        const instance = i === 5 ? `long-${'x'.repeat(260 + n)}` : i === 6 ? `häst-日本-${n}` : `i${i}`
        const s = n++
        // few distinct values, so ties are common; one series is NaN throughout
        out.push({metric: 'http_requests', labels: {job, group, instance}, samples: samples(T0, STEP, 41, (k) => (s === 9 ? NaN : ((s * 7919 + k * 104729) % 23) / 4))})
      }
    }
  }
  return out
}

interface PromVectorSample {
  metric: Record<string, string>
  value: [number, string]
}

interface PromMatrixSeries {
  metric: Record<string, string>
  values: [number, string][]
}

describe('engine: limitk / limit_ratio / topk / bottomk against Prometheus 3', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  const q = new MemoryQueryable()
  const engine = new Engine({timeout: 30_000})

  before(async () => {
    const data = dataset()
    for (const s of data) {
      q.add(labelsFromRecord({__name__: s.metric, ...s.labels}), s.samples.map(([t]) => t), s.samples.map(([, v]) => v))
    }
    prom = await startPrometheus({version: 3, series: data, extraArgs: ['--enable-feature=promql-experimental-functions']})
  })
  after(async () => {
    await prom?.stop()
  })

  async function promQuery(path: string, params: Record<string, string>): Promise<unknown> {
    const res = await fetch(`${prom.url}/api/v1/${path}?${new URLSearchParams(params)}`)
    const body = (await res.json()) as {status: string; data: {result: unknown}; error?: string}
    assert.equal(body.status, 'success', body.error)
    return body.data.result
  }

  const instantCases = [
    'limitk(7, http_requests)',
    'limitk by (group) (3, http_requests)',
    'limitk without (instance) (2, http_requests)',
    'limit_ratio(0.3, http_requests)',
    'limit_ratio(-0.3, http_requests)',
    'limit_ratio by (group) (0.5, http_requests)',
    'limit_ratio(0.9, http_requests{instance=~"long.*|häst.*"})',
    'limit_ratio(-0.9, http_requests{instance=~"long.*|häst.*"})',
    'topk(5, http_requests)',
    'topk by (group) (3, http_requests)',
    'bottomk by (job) (4, http_requests)',
  ]
  for (const query of instantCases) {
    it(`instant ${query}: the same series in the same order`, async () => {
      const t = T0 + 300_000
      const want = ((await promQuery('query', {query, time: String(t / 1000)})) as PromVectorSample[]).map((s) => ({metric: s.metric, value: s.value[1]}))
      const res = await engine.instantQuery(q, query, t)
      assert.equal(res.value.type, 'vector')
      if (res.value.type !== 'vector') return
      const got = res.value.samples.map((s) => ({metric: labelsToRecord(s.labels), value: formatGoFloat(s.v)}))
      assert.ok(want.length > 0, 'Prometheus returned nothing: the case tests nothing')
      assert.deepEqual(got, want)
    })
  }

  const rangeCases = ['limit_ratio(0.25, http_requests)', 'limit_ratio(-0.6, http_requests)', 'count(limit_ratio(time() % 7 / 7, http_requests))', 'limitk(scalar(count(http_requests) % 5 + 1), http_requests)']
  for (const query of rangeCases) {
    it(`range ${query}: the same matrix`, async () => {
      const [start, end, step] = [T0 + 60_000, T0 + 540_000, 60_000]
      const want = ((await promQuery('query_range', {query, start: String(start / 1000), end: String(end / 1000), step: '60'})) as PromMatrixSeries[]).map((s) => ({
        metric: s.metric,
        values: s.values.map(([ts, v]) => [ts * 1000, v]),
      }))
      const res = await engine.rangeQuery(q, query, start, end, step)
      assert.equal(res.value.type, 'matrix')
      if (res.value.type !== 'matrix') return
      const got = res.value.series.map((s) => ({metric: labelsToRecord(s.labels), values: [...s.ts].map((ts, i) => [ts, formatGoFloat(s.vs[i]!)])}))
      assert.ok(want.length > 0, 'Prometheus returned nothing: the case tests nothing')
      assert.deepEqual(got, want)
    })
  }
})
