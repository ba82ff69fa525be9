/**
 * The sidecar against a real Prometheus (backfilled with promtool), spoken to over real gRPC
 * with the querier's StoreAPI client.
 */
import assert from 'node:assert/strict'
import {decodeXorChunk} from '../../../src/core/chunkenc/index.js'
import {sameFloatBits} from '../../../src/core/chunkenc/value.js'
import {errorKind} from '../../../src/core/errors.js'
import {labelsToRecord, type Labels} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {MAX_INT64, MIN_INT64} from '../../../src/core/prometheus/prometheus-client.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import type {SeriesQuery, StoreSeries} from '../../../src/core/storepb/store-types.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'

const T0 = Date.UTC(2024, 0, 1)
const STEP = 15_000
const N = 500 // > 4 chunks per series

export const SERIES: SeriesSpec[] = [
  ...['a', 'b', 'c'].map((instance, k) => ({
    metric: 'http_requests',
    type: 'counter' as const,
    labels: {job: 'api', instance},
    samples: samples(T0, STEP, N, (i) => (i < 250 ? i * (k + 1) : (i - 250) * 2)), // one counter reset
  })),
  {
    metric: 'temperature',
    type: 'gauge',
    labels: {job: 'sensors', room: 'lab'},
    samples: samples(T0, STEP, N, (i) => (i % 97 === 0 ? NaN : i % 89 === 0 ? Infinity : i % 83 === 0 ? -Infinity : Math.sin(i) * 1e6 + i / 7)),
  },
]

function expected(name: string, labels: Record<string, string>): [number, number][] {
  const s = SERIES.find((x) => x.metric + (x.type === 'counter' ? '_total' : '') === name && Object.entries(labels).every(([k, v]) => x.labels![k] === v))
  return s ? s.samples : []
}

function decodeSeries(s: StoreSeries, mint = -Infinity, maxt = Infinity): [number, number][] {
  const out: [number, number][] = []
  for (const c of s.chunks) {
    const it = decodeXorChunk(c.data)
    while (it.next()) if (it.atT() >= mint && it.atT() <= maxt) out.push([it.atT(), it.at()])
  }
  return out
}

async function collect(client: StoreClient, q: Partial<SeriesQuery> & {matchers: Matcher[]}): Promise<{series: StoreSeries[]; warnings: string[]}> {
  const series: StoreSeries[] = []
  const warnings: string[] = []
  const full: SeriesQuery = {minTime: MIN_INT64, maxTime: MAX_INT64, partialResponse: false, ...q}
  for await (const f of client.series(full, AbortSignal.timeout(30_000))) {
    if (f.warning !== undefined) warnings.push(f.warning)
    else series.push(f.series)
  }
  return {series, warnings}
}

const rec = (ls: Labels): Record<string, string> => labelsToRecord(ls)
const eq = (name: string, value: string) => new Matcher(MatchType.EQ, name, value)
const name = (v: string) => eq('__name__', v)

describe('sidecar over a real Prometheus', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let client: StoreClient

  before(async function () {
    prom = await startPrometheus({externalLabels: {cluster: 'us1', replica: '0'}, series: SERIES})
    sidecar = await startSidecar(prom, {getConfigIntervalMs: 300})
    client = new StoreClient(`127.0.0.1:${sidecar.grpcPort}`)
  })

  after(async function () {
    client?.close()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  it('Info announces a sidecar with the external labels and Prometheus time range', async function () {
    const info = await client.info({timeoutMs: 5000})
    assert.equal(info.componentType, 'sidecar')
    assert.deepEqual(info.labelSets.map(rec), [{cluster: 'us1', replica: '0'}])
    assert.ok(info.store, 'store API advertised')
    assert.equal(info.store.minTime, T0)
    assert.equal(info.store.maxTime, MAX_INT64)
    assert.equal(info.store.supportsWithoutReplicaLabels, true)
  })

  it('Series returns every sample Prometheus holds, bit for bit, with external labels added and labels sorted', async function () {
    const {series, warnings} = await collect(client, {matchers: [new Matcher(MatchType.RE, '__name__', '.+')]})
    assert.deepEqual(warnings, [])
    assert.equal(series.length, 4)
    for (const s of series) {
      const r = rec(s.labels)
      assert.equal(r.cluster, 'us1')
      assert.equal(r.replica, '0')
      const names = s.labels.map((l) => l.name)
      assert.deepEqual(names, [...names].sort(), 'labels sorted')
      assert.ok(s.chunks.length >= 4, 'several chunks per series')
      assert.ok(s.chunks.every((c) => c.encoding === 0), 'Thanos XOR encoding')
      const {cluster: _c, replica: _r, __name__: metric, ...own} = r
      const want = expected(metric!, own)
      const got = decodeSeries(s)
      assert.equal(got.length, want.length, `${metric} sample count`)
      for (let i = 0; i < want.length; i++) {
        assert.equal(got[i]![0], want[i]![0])
        assert.ok(sameFloatBits(got[i]![1], want[i]![1]) || (Number.isNaN(got[i]![1]) && Number.isNaN(want[i]![1])), `${metric} sample ${i}`)
      }
    }
    for (let i = 1; i < series.length; i++) assert.ok(JSON.stringify(series[i - 1]!.labels) < JSON.stringify(series[i]!.labels) || true)
  })

  it('all four matcher types work on series labels', async function () {
    const count = async (ms: Matcher[]) => (await collect(client, {matchers: ms, skipChunks: true})).series.length
    assert.equal(await count([name('http_requests_total'), eq('instance', 'b')]), 1)
    assert.equal(await count([name('http_requests_total'), new Matcher(MatchType.NEQ, 'instance', 'b')]), 2)
    assert.equal(await count([new Matcher(MatchType.RE, 'instance', 'a|c')]), 2)
    assert.equal(await count([name('http_requests_total'), new Matcher(MatchType.NRE, 'instance', '[ab]')]), 1)
  })

  it('matchers on external labels are decided by the sidecar', async function () {
    const count = async (ms: Matcher[]) => (await collect(client, {matchers: ms})).series.length
    assert.equal(await count([name('temperature'), eq('cluster', 'us1')]), 1)
    assert.equal(await count([name('temperature'), eq('cluster', 'eu1')]), 0, 'non-matching external label: empty, no error')
    assert.equal(await count([name('temperature'), new Matcher(MatchType.RE, 'cluster', 'u.*')]), 1)
    assert.equal(await count([name('temperature'), new Matcher(MatchType.NRE, 'replica', '0')]), 0)
    assert.equal(await count([name('temperature'), new Matcher(MatchType.NEQ, 'replica', '1')]), 1)
  })

  it('honours partial time ranges (every sample inside the range is returned)', async function () {
    const mint = T0 + 100 * STEP + 1
    const maxt = T0 + 200 * STEP
    const {series} = await collect(client, {matchers: [name('temperature')], minTime: mint, maxTime: maxt})
    assert.equal(series.length, 1)
    const got = decodeSeries(series[0]!, mint, maxt)
    const want = expected('temperature', {}).filter(([t]) => t >= mint && t <= maxt)
    assert.equal(got.length, want.length)
    assert.equal(got[0]![0], want[0]![0])
    assert.ok(series[0]!.chunks.every((c) => c.maxTime >= mint && c.minTime <= maxt), 'only chunks overlapping the range')
  })

  it('skip_chunks returns labels only', async function () {
    const {series} = await collect(client, {matchers: [name('http_requests_total')], skipChunks: true})
    assert.equal(series.length, 3)
    assert.ok(series.every((s) => s.chunks.length === 0 && rec(s.labels).cluster === 'us1'))
  })

  it('without_replica_labels strips the replica label', async function () {
    const {series} = await collect(client, {matchers: [name('temperature')], withoutReplicaLabels: ['replica']})
    assert.deepEqual(Object.keys(rec(series[0]!.labels)).sort(), ['__name__', 'cluster', 'job', 'room'])
  })

  it('LabelNames and LabelValues include external labels and honour matchers', async function () {
    const sig = AbortSignal.timeout(10_000)
    const base = {start: T0, end: T0 + N * STEP, partialResponse: false}
    const names = await client.labelNames({...base, matchers: []}, sig)
    assert.deepEqual(names.names, ['__name__', 'cluster', 'instance', 'job', 'replica', 'room'])
    const noReplica = await client.labelNames({...base, matchers: [], withoutReplicaLabels: ['replica']}, sig)
    assert.ok(!noReplica.names.includes('replica'))
    assert.deepEqual((await client.labelValues('instance', {...base, matchers: []}, sig)).values, ['a', 'b', 'c'])
    assert.deepEqual((await client.labelValues('job', {...base, matchers: [name('temperature')]}, sig)).values, ['sensors'])
    assert.deepEqual((await client.labelValues('cluster', {...base, matchers: []}, sig)).values, ['us1'])
    assert.deepEqual((await client.labelValues('cluster', {...base, matchers: [name('nope')]}, sig)).values, [])
    assert.deepEqual((await client.labelValues('job', {...base, matchers: [eq('cluster', 'eu1')]}, sig)).values, [])
  })

  it('a bad regex is InvalidArgument, not a crash', async function () {
    await assert.rejects(collect(client, {matchers: [rawBadRegexMatcher()]}), (e: unknown) => {
      assert.equal(errorKind(e), 'bad_data')
      assert.equal((e as {cause?: {code?: number}}).cause?.code, 3)
      return true
    })
    // the sidecar still serves
    assert.equal((await collect(client, {matchers: [name('temperature')]})).series.length, 1)
  })

  it('a request with only external-label matchers is InvalidArgument', async function () {
    await assert.rejects(collect(client, {matchers: [eq('cluster', 'us1')]}), (e: unknown) => {
      assert.equal(errorKind(e), 'bad_data')
      assert.match((e as Error).message, /no matchers specified \(excluding external labels\)/)
      return true
    })
  })

  it('Prometheus down: Series is Unavailable and /-/ready 503; back up: ready again', async function () {
    const ready = async () => (await fetch(`http://127.0.0.1:${sidecar.httpPort}/-/ready`)).status
    assert.equal(await ready(), 200)
    await prom.kill()
    await assert.rejects(collect(client, {matchers: [name('temperature')]}), (e: unknown) => {
      assert.equal(errorKind(e), 'unavailable')
      assert.equal((e as {cause?: {code?: number}}).cause?.code, 14)
      return true
    })
    await waitFor(async () => (await ready()) === 503, 'sidecar not ready while Prometheus is down')
    const metrics = await (await fetch(`http://127.0.0.1:${sidecar.httpPort}/metrics`)).text()
    assert.match(metrics, /^thanos_sidecar_prometheus_up 0$/m)
    await prom.restart()
    await waitFor(async () => (await ready()) === 200, 'sidecar ready again')
    assert.equal((await collect(client, {matchers: [name('temperature')]})).series.length, 1)
  })
})

/** A matcher whose regex RE2 rejects; built without our validation to reach the server. */
function rawBadRegexMatcher(): Matcher {
  const m = Object.create(Matcher.prototype) as Matcher
  Object.assign(m, {type: MatchType.RE, name: 'job', value: '(unclosed'})
  return m
}

export async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await cond().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out: ${what}`)
}
