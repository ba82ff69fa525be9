/**
 * HA pair of REAL Prometheus servers (same backfilled counter data, external labels
 * {cluster="us1", replica="0"|"1"}, replica 0 missing 30 minutes in the middle), each behind
 * (a) our sidecar (src/core/sidecar, the real `thanosts sidecar` code path) and (b) a minimal
 * remote-read bridge (TestStoreServer with prometheusUrl), queried through the querier's data
 * path: EndpointSet → ProxyStore → store Queryable (dedup on/off, partial response).
 */
import assert from 'node:assert/strict'
import {getLabel, labelsFromRecord, type Labels} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {ThanostsError} from '../../../src/core/errors.js'
import type {Series} from '../../../src/core/promql/queryable.js'
import {EndpointSet} from '../../../src/core/discovery/endpoint-set.js'
import {ProxyStore} from '../../../src/core/proxy/proxy.js'
import {createStoreQueryable} from '../../../src/core/proxy/store-queryable.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {openMetricsText} from './prometheus-fixture.js'
import {TestStoreServer} from '../../helpers/test-store-server.js'
import {nopLogger} from '../../../src/core/log.js'
import {MIN_INT64} from '../../../src/core/prometheus/prometheus-client.js'
import {runSidecar, type RunningSidecar} from '../../../src/core/sidecar/sidecar.js'

const STEP = 15_000
const T0 = Math.floor(Date.now() / 3600_000) * 3600_000 - 8 * 3600_000
const END = T0 + 2 * 3600_000
const GAP: [number, number] = [T0 + 40 * 60_000, T0 + 70 * 60_000]
const L = (r: Record<string, string>): Labels => labelsFromRecord(r)
const eq = (n: string, v: string) => new Matcher(MatchType.EQ, n, v)

function counter(instance: string, t: number): number {
  return ((t - T0) / 1000) * (instance === 'a' ? 2 : 3)
}
function series(withGap: boolean) {
  return ['a', 'b'].map((instance) => {
    const samples: Array<[number, number]> = []
    for (let t = T0; t <= END; t += STEP) if (!withGap || t < GAP[0] || t > GAP[1]) samples.push([t, counter(instance, t)])
    return {labels: {instance, job: 'api'}, samples}
  })
}
function drain(s: Series): Array<[number, number]> {
  const it = s.iterator()
  const out: Array<[number, number]> = []
  while (it.next()) out.push([it.atT(), it.at()])
  return out
}

for (const front of ['sidecar', 'bridge'] as const) describe(`querier over an HA pair of real Prometheus servers, each behind ${front === 'sidecar' ? 'a thanosts sidecar' : 'a remote-read bridge'}`, function () {
  this.timeout(120_000)
  const proms: PrometheusHandle[] = []
  const sidecars: RunningSidecar[] = []
  const bridges: TestStoreServer[] = []
  /** gRPC address in front of each Prometheus. */
  const addrs: string[] = []
  let set: EndpointSet

  before(async () => {
    const [p0, p1] = await Promise.all([
      startPrometheus({externalLabels: {cluster: 'us1', replica: '0'}, openMetrics: openMetricsText('http_requests', 'counter', series(true))}),
      startPrometheus({externalLabels: {cluster: 'us1', replica: '1'}, openMetrics: openMetricsText('http_requests', 'counter', series(false))}),
    ])
    proms.push(p0!, p1!)
    for (const [i, p] of proms.entries()) {
      if (front === 'sidecar') {
        const sc = await runSidecar({
          prometheusUrl: p.url,
          grpcAddress: '127.0.0.1:0',
          httpAddress: '127.0.0.1:0',
          readyTimeoutMs: 30_000,
          getConfigIntervalMs: 300,
          getConfigTimeoutMs: 5_000,
          grpcGracePeriodMs: 500,
          httpGracePeriodMs: 500,
          minTime: MIN_INT64,
          reloader: {ruleDirs: [], watchIntervalMs: 0, retryIntervalMs: 1000},
          logger: nopLogger,
        })
        sidecars.push(sc)
        addrs.push(`127.0.0.1:${sc.grpcPort}`)
      } else {
        const s = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: String(i)}), series: [], prometheusUrl: p.url})
        await s.start()
        bridges.push(s)
        addrs.push(s.address)
      }
    }
    set = new EndpointSet({addresses: addrs, infoTimeoutMs: 2000, updateIntervalMs: 60_000})
    await set.start()
  })

  after(async () => {
    await set?.stop()
    for (const s of bridges) s.stop()
    for (const sc of sidecars) await sc.lifecycle.stop()
    await Promise.all(proms.map((p) => p.stop()))
  })

  it('Info: both stores healthy, announced with their external labels and Prometheus time range', function () {
    if (front === 'bridge') this.skip() // the bridge announces no time range
    const st = set.status()
    assert.deepEqual(Object.keys(st), ['sidecar'])
    assert.deepEqual(st.sidecar!.map((s) => s.labelSets).sort((a, b) => (a[0]!.replica! < b[0]!.replica! ? -1 : 1)), [[{cluster: 'us1', replica: '0'}], [{cluster: 'us1', replica: '1'}]])
    assert.ok(st.sidecar!.every((s) => s.lastError === null && s.minTime === T0))
  })

  const queryable = (dedup: boolean, partialResponse = true) =>
    createStoreQueryable(new ProxyStore({stores: () => set.storeRefs()}), {replicaLabels: ['replica'], dedup, partialResponse})

  it('dedup: one series per instance, the hole of replica 0 filled from replica 1, values as written', async () => {
    for (const func of [undefined, 'rate']) {
      const res = await queryable(true).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END, func})
      assert.deepEqual(res.warnings, [])
      assert.deepEqual(res.series.map((s) => s.labels), [L({__name__: 'http_requests_total', cluster: 'us1', instance: 'a', job: 'api'}), L({__name__: 'http_requests_total', cluster: 'us1', instance: 'b', job: 'api'})])
      for (const s of res.series) {
        const inst = getLabel(s.labels, 'instance')
        const got = drain(s)
        assert.equal(got[0]![0], T0)
        assert.equal(got[got.length - 1]![0], END)
        for (const [t, v] of got) assert.equal(v, counter(inst, t), `${inst} at ${t - T0}`)
        for (let i = 1; i < got.length; i++) assert.ok(got[i]![0] - got[i - 1]![0] <= 3 * STEP, `gap after ${got[i - 1]![0] - T0}ms`)
        assert.ok(got.filter(([t]) => t > GAP[0] && t < GAP[1]).length >= (GAP[1] - GAP[0]) / STEP - 4)
      }
    }
  })

  it('no dedup: both replicas with their replica label; replica 0 has its hole', async () => {
    const res = await queryable(false).querier(T0, END).select([eq('__name__', 'http_requests_total'), eq('instance', 'a')], {start: T0, end: END})
    assert.deepEqual(res.series.map((s) => getLabel(s.labels, 'replica')), ['0', '1'])
    const [r0, r1] = res.series.map(drain)
    assert.equal(r1!.length, (END - T0) / STEP + 1)
    assert.equal(r0!.filter(([t]) => t >= GAP[0] && t <= GAP[1]).length, 0)
    assert.equal(r0!.length, r1!.length - ((GAP[1] - GAP[0]) / STEP + 1))
  })

  it('external-label pruning: a matcher on replica="1" asks only that store', async () => {
    const res = await queryable(false).querier(T0, END).select([eq('__name__', 'http_requests_total'), eq('replica', '1')], {start: T0, end: END})
    assert.equal(res.series.length, 2)
    assert.ok(res.series.every((s) => getLabel(s.labels, 'replica') === '1'))
    if (front === 'bridge') {
      const before0 = bridges[0]!.seriesCalls
      await queryable(false).querier(T0, END).select([eq('__name__', 'http_requests_total'), eq('replica', '1')], {start: T0, end: END})
      assert.equal(bridges[0]!.seriesCalls, before0)
    }
  })

  it('label names and values through the stores; the replica label hidden with dedup', async function () {
    if (front === 'bridge') this.skip() // the bridge serves Series only
    const names = await queryable(true).querier(T0, END).labelNames([], {start: T0, end: END})
    assert.deepEqual(names.names.filter((n) => n !== 'replica'), names.names)
    assert.ok(['__name__', 'cluster', 'instance', 'job'].every((n) => names.names.includes(n)))
    const vals = await queryable(false).querier(T0, END).labelValues('replica', [], {start: T0, end: END})
    assert.deepEqual(vals.values, ['0', '1'])
  })

  it('a hanging store becomes a timeout warning, not a hang', async () => {
    const hang = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '2'}), series: [], mode: 'hang'})
    await hang.start()
    const hangSet = new EndpointSet({addresses: [...addrs, hang.address], infoTimeoutMs: 2000, updateIntervalMs: 60_000})
    try {
      await hangSet.start()
      const q = createStoreQueryable(new ProxyStore({stores: () => hangSet.storeRefs(), responseTimeoutMs: 500}), {replicaLabels: ['replica'], dedup: true, partialResponse: true})
      const t = Date.now()
      const res = await q.querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
      assert.ok(Date.now() - t < 5000)
      assert.equal(res.series.length, 2)
      assert.equal(res.warnings.length, 1)
      assert.match(res.warnings[0]!, new RegExp(`${hang.address}.*no response for 500ms`))
    } finally {
      await hangSet.stop()
      hang.stop()
    }
  })

  // Kills replica 1's Prometheus: keep last.
  it('replica 1 down: warning and replica 0\'s data (hole visible) under WARN; error under ABORT', async () => {
    await proms[1]!.kill()
    const res = await queryable(true).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
    assert.equal(res.series.length, 2)
    assert.equal(res.warnings.length, 1)
    assert.match(res.warnings[0]!, new RegExp(addrs[1]!))
    const got = drain(res.series[0]!)
    assert.equal(got.filter(([t]) => t > GAP[0] && t < GAP[1]).length, 0)
    await assert.rejects(queryable(true, false).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END}), (e: unknown) => e instanceof ThanostsError && e.kind === 'unavailable')
  })
})
