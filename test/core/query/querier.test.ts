/**
 * `thanosts query` over two real Prometheus replicas behind our sidecars: the HA-gap problem
 * and its fix through Prometheus's HTTP API, Grafana's request shapes, answers compared with
 * Prometheus's own, error types, partial response, and a querier stacked on a querier.
 */
import assert from 'node:assert/strict'
import {request} from 'node:http'
import {gunzipSync} from 'node:zlib'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type QuerierConfig, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {samples} from '../../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'

const T0 = Date.UTC(2024, 6, 1)
const STEP = 15_000
const N = 240
const GAP = [80, 160] // replica 0 misses these samples (20 minutes)

interface ApiBody {
  status: string
  data?: {resultType: string; result: {metric: Record<string, string>; value?: [number, string]; values?: [number, string][]}[]} | string[] | Record<string, string>[] | Record<string, unknown>
  errorType?: string
  error?: string
  warnings?: string[]
}

function testQuerierConfig(stores: string[], extra: Partial<QuerierConfig> = {}): QuerierConfig {
  return querierConfig(stores, nopLogger, {infoTimeoutMs: 2_000, replicaLabels: ['replica'], queryTimeoutMs: 20_000, maxConcurrent: 4, httpGracePeriodMs: 500, grpcGracePeriodMs: 500, flags: {'query.replica-label': 'replica'}, ...extra})
}

async function waitStores(q: RunningQuerier, n: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while (q.endpoints.storeRefs().length < n) {
    if (Date.now() > deadline) throw new Error(`querier sees ${q.endpoints.storeRefs().length} stores, want ${n}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('thanosts query over real Prometheus replicas and sidecars', function () {
  this.timeout(120_000)
  let proms: PrometheusHandle[]
  let sidecars: RunningSidecar[]
  let querier: RunningQuerier
  let base: string

  const get = async (path: string, params: Record<string, string | string[]> = {}): Promise<{code: number; body: ApiBody; text: string}> => {
    const u = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x)
    const r = await fetch(`${base}${path}?${u}`)
    const text = await r.text()
    return {code: r.status, body: JSON.parse(text) as ApiBody, text}
  }
  const post = async (url: string, params: Record<string, string>): Promise<{code: number; body: ApiBody; text: string}> => {
    const r = await fetch(url, {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: new URLSearchParams(params).toString()})
    const text = await r.text()
    return {code: r.status, body: JSON.parse(text) as ApiBody, text}
  }

  before(async function () {
    const series = (gap: boolean, resetAt: number) => [
      {metric: 'http_requests', type: 'counter' as 'counter' | 'gauge', labels: {job: 'api'} as Record<string, string>, samples: samples(T0, STEP, N, (i) => (gap && i >= GAP[0]! && i < GAP[1]! ? undefined : i * 10))},
      // replicas restart at different times: their counters reset at different points
      {metric: 'restarts', type: 'counter' as 'counter' | 'gauge', labels: {job: 'api'} as Record<string, string>, samples: samples(T0, STEP, N, (i) => (i < resetAt ? i * 3 : (i - resetAt) * 3))},
      {metric: 'temperature', type: 'gauge' as 'counter' | 'gauge', labels: {room: 'a'} as Record<string, string>, samples: samples(T0, STEP, N, (i) => 20 + (i % 7))},
    ]
    proms = await startPrometheusSet([
      {externalLabels: {cluster: 'us1', replica: '0'}, series: series(true, 100)},
      {externalLabels: {cluster: 'us1', replica: '1'}, series: series(false, 170)},
    ])
    sidecars = await Promise.all(
      proms.map((p) => startSidecar(p)),
    )
    querier = await runQuerier(testQuerierConfig(sidecars.map((s) => `127.0.0.1:${s.grpcPort}`)))
    base = `http://127.0.0.1:${querier.httpPort}`
    await waitStores(querier, 2)
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await Promise.all((sidecars ?? []).map((s) => s.lifecycle.stop()))
    await Promise.all((proms ?? []).map((p) => p.stop()))
  })

  const range = {start: String(T0 / 1000), end: String((T0 + (N - 1) * STEP) / 1000), step: '15'}

  it('deduplicated query_range has no gap and equals the complete replica', async function () {
    const r = await get('/api/v1/query_range', {query: 'http_requests_total', ...range})
    assert.equal(r.code, 200, r.text)
    const data = r.body.data as {result: {metric: Record<string, string>; values: [number, string][]}[]}
    assert.equal(data.result.length, 1)
    assert.deepEqual(data.result[0]!.metric, {__name__: 'http_requests_total', cluster: 'us1', job: 'api'})
    assert.equal(data.result[0]!.values.length, N, 'no gap')
    // Equal to the complete data, except right after the switch to replica 1: the penalty
    // algorithm (as Thanos's) skips the other replica's samples within 2× the scrape interval
    // of the last one it used, so lookback shows replica 0's last value there.
    const off = data.result[0]!.values.map(([, v], i) => [i, Number(v)] as const).filter(([i, v]) => v !== i * 10)
    assert.ok(off.length <= 2, `points off: ${JSON.stringify(off)}`)
    for (const [i, v] of off) assert.ok(i >= GAP[0]! && i < GAP[0]! + 2 && v === (GAP[0]! - 1) * 10, `point ${i} = ${v}`)
  })

  it('dedup=false shows both replicas, replica 0 with its gap', async function () {
    const r = await get('/api/v1/query_range', {query: 'http_requests_total', ...range, dedup: 'false'})
    const data = r.body.data as {result: {metric: Record<string, string>; values: [number, string][]}[]}
    assert.deepEqual(data.result.map((s) => s.metric.replica), ['0', '1'])
    // lookback (5m) bridges the first 20 samples of the gap; the rest is missing
    assert.ok(data.result[0]!.values.length < N - 40, `replica 0 has a gap (${data.result[0]!.values.length} points)`)
    assert.equal(data.result[1]!.values.length, N)
  })

  it('rate() through dedup is not fooled by replicas resetting at different times', async function () {
    const t = String((T0 + 200 * STEP) / 1000)
    for (const at of [String((T0 + 120 * STEP) / 1000), t]) {
      const dedup = await get('/api/v1/query', {query: 'rate(restarts_total[5m])', time: at})
      const v = (dedup.body.data as {result: {value: [number, string]}[]}).result.map((x) => Number(x.value[1]))
      assert.equal(v.length, 1)
      assert.ok(v[0]! > 0.19 && v[0]! < 0.21, `rate ≈ 0.2/s, got ${v[0]} at ${at}`)
    }
  })

  it('answers as Prometheus does (same JSON once external labels are dropped)', async function () {
    const at = String((T0 + 239 * STEP) / 1000)
    for (const q of ['sum by (job) (http_requests_total)', 'max_over_time(temperature[10m])', 'count(temperature)', 'temperature > 22', 'sum(rate(http_requests_total[5m]))']) {
      const ours = await get('/api/v1/query', {query: `sum without (cluster) (${q})`, time: at})
      const theirs = await get(`/api/v1/query`, {query: q, time: at}).catch(() => undefined)
      void theirs
      const prom = await fetch(`${proms[1]!.url}/api/v1/query?${new URLSearchParams({query: `sum without (cluster, replica) (${q})`, time: at})}`)
      const promBody = (await prom.json()) as ApiBody
      assert.equal(ours.code, 200, ours.text)
      const norm = (b: ApiBody) => (b.data as {result: {metric: object; value: [number, string]}[]}).result.map((x) => [JSON.stringify(x.metric), x.value[0], Number(x.value[1])]).sort()
      const [a, b] = [norm(ours.body), norm(promBody)]
      assert.equal(a.length, b.length, q)
      a.forEach((x, i) => {
        assert.equal(x[0], b[i]![0], q)
        assert.equal(x[1], b[i]![1], q)
        assert.ok(Math.abs((x[2] as number) - (b[i]![2] as number)) <= 1e-12 * Math.abs(b[i]![2] as number), `${q}: ${x[2]} vs ${b[i]![2]}`)
      })
    }
  })

  it('accepts Grafana\'s request shapes: POST form, step as duration, RFC 3339 times', async function () {
    const r = await post(`${base}/api/v1/query_range`, {
      query: 'sum by (job) (rate(http_requests_total[1m]))',
      start: new Date(T0 + 10 * 60_000).toISOString(),
      end: new Date(T0 + 20 * 60_000).toISOString(),
      step: '1m',
    })
    assert.equal(r.code, 200, r.text)
    assert.match(r.text, /^\{"status":"success","data":\{"resultType":"matrix","result":\[\{"metric":\{"job":"api"\},"values":\[\[\d+(\.\d+)?,"[\d.]+"\]/)
    const labels = await get('/api/v1/labels', {start: String(T0 / 1000), end: String((T0 + N * STEP) / 1000)})
    // Label names keep the replica label, as Thanos's querier (series are deduplicated, labels not).
    assert.deepEqual(labels.body.data, ['__name__', 'cluster', 'job', 'replica', 'room'])
    assert.deepEqual((await get('/api/v1/label/replica/values')).body.data, ['0', '1'])
    const names = await get('/api/v1/label/__name__/values')
    assert.deepEqual(names.body.data, ['http_requests_total', 'restarts_total', 'temperature'])
    const series = await get('/api/v1/series', {'match[]': 'temperature'})
    assert.deepEqual(series.body.data, [{__name__: 'temperature', cluster: 'us1', room: 'a'}])
    const build = await get('/api/v1/status/buildinfo')
    assert.equal(typeof (build.body.data as Record<string, string>).version, 'string')
  })

  it('gzips answers when the client accepts it, as Prometheus does (not tiny ones, not on q=0)', async function () {
    const raw = (path: string, acceptEncoding?: string) =>
      new Promise<{headers: Record<string, string | string[] | undefined>; body: Buffer}>((resolve, reject) => {
        const req = request(`${base}${path}`, {headers: acceptEncoding ? {'accept-encoding': acceptEncoding} : {}}, (res) => {
          const parts: Buffer[] = []
          res.on('data', (c: Buffer) => parts.push(c))
          res.on('end', () => resolve({headers: res.headers, body: Buffer.concat(parts)}))
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end()
      })
    const big = `/api/v1/query_range?${new URLSearchParams({query: 'http_requests_total', dedup: 'false', ...range})}`
    const plain = await raw(big)
    assert.equal(plain.headers['content-encoding'], undefined)
    const zipped = await raw(big, 'deflate, gzip;q=0.8, br')
    assert.equal(zipped.headers['content-encoding'], 'gzip')
    assert.equal(zipped.headers.vary, 'Accept-Encoding')
    assert.ok(zipped.body.length * 3 < plain.body.length, `${zipped.body.length} compressed bytes of ${plain.body.length}`)
    assert.equal(gunzipSync(zipped.body).toString(), plain.body.toString())
    assert.equal((await raw(big, 'gzip;q=0, identity')).headers['content-encoding'], undefined)
    assert.equal((await raw(`/api/v1/query?${new URLSearchParams({query: '1', time: String(T0 / 1000)})}`, 'gzip')).headers['content-encoding'], undefined, 'a tiny answer is sent as is')
    // errors too: a big bad_data message would be compressed, the shape stays Prometheus's
    const bad = await raw(`/api/v1/query?${new URLSearchParams({query: 'sum('})}`, 'gzip')
    assert.equal(JSON.parse(bad.body.toString()).errorType, 'bad_data')
  })

  it('errors carry Prometheus\'s errorType, message and HTTP code', async function () {
    const parse = await get('/api/v1/query', {query: 'rate(http_requests_total)'})
    assert.equal(parse.code, 400)
    assert.equal(parse.body.errorType, 'bad_data')
    assert.equal(parse.body.error, 'invalid parameter "query": 1:6: parse error: expected type range vector in call to function "rate", got instant vector')
    const order = await get('/api/v1/query_range', {query: 'up', start: '100', end: '50', step: '10'})
    assert.equal(order.code, 400)
    assert.match(order.body.error!, /end timestamp must not be before start time/)
    const points = await get('/api/v1/query_range', {query: 'up', start: '0', end: '1000000', step: '1'})
    assert.equal(points.code, 400)
    assert.match(points.body.error!, /exceeded maximum resolution of 11,000 points/)
    const noMatch = await get('/api/v1/series')
    assert.equal(noMatch.code, 400)
    assert.equal(noMatch.body.error, 'no match[] parameter provided')
    const exec = await get('/api/v1/query', {query: 'temperature + on() temperature', time: String((T0 + 100 * STEP) / 1000), dedup: 'false'})
    assert.equal(exec.code, 422, exec.text)
    assert.equal(exec.body.errorType, 'execution')
  })

  it('/api/v1/stores lists both sidecars with their labels; Info of the querier is the union', async function () {
    const r = await get('/api/v1/stores')
    const data = r.body.data as Record<string, {name: string; labelSets: Record<string, string>[]; lastError: string | null}[]>
    assert.equal(data.sidecar?.length, 2)
    assert.deepEqual(data.sidecar!.map((s) => s.labelSets[0]!.replica).sort(), ['0', '1'])
    assert.ok(data.sidecar!.every((s) => s.lastError === null))
  })

  it('a querier stacked on this querier answers the same', async function () {
    const outer = await runQuerier(testQuerierConfig([`127.0.0.1:${querier.grpcPort}`]))
    try {
      await waitStores(outer, 1)
      const at = String((T0 + 120 * STEP) / 1000)
      const a = await get('/api/v1/query', {query: 'http_requests_total', time: at})
      const b = await fetch(`http://127.0.0.1:${outer.httpPort}/api/v1/query?${new URLSearchParams({query: 'http_requests_total', time: at})}`)
      assert.equal(await b.text(), a.text)
    } finally {
      await outer.lifecycle.stop()
    }
  })

  it('a dead store: warning + partial data; partial_response=false: an error', async function () {
    const q = await runQuerier(testQuerierConfig([`127.0.0.1:${sidecars[1]!.grpcPort}`, '127.0.0.1:1'], {infoTimeoutMs: 500}))
    try {
      await waitStores(q, 1)
      const url = `http://127.0.0.1:${q.httpPort}/api/v1/query`
      const at = String((T0 + 100 * STEP) / 1000)
      // the dead endpoint never passed a health check, so it is not in the fan-out: data is
      // complete from the live one; a live store that fails mid-query gives a warning (store tests)
      const ok = await post(url, {query: 'temperature', time: at})
      assert.equal(ok.code, 200)
      assert.equal((ok.body.data as {result: unknown[]}).result.length, 1)
      await sidecars[1]!.lifecycle.stop()
      const warned = await post(url, {query: 'temperature', time: at})
      assert.equal(warned.code, 200, warned.text)
      assert.ok((warned.body.warnings ?? []).length > 0, `warning expected: ${warned.text}`)
      const strict = await post(url, {query: 'temperature', time: at, partial_response: 'false'})
      assert.notEqual(strict.code, 200, strict.text)
      assert.equal(strict.body.status, 'error')
    } finally {
      await q.lifecycle.stop()
    }
  })
})
