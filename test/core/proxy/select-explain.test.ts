/**
 * Explain through the store queryable, over real gRPC on loopback (test StoreAPI servers, as in
 * querier-pipeline.test.ts): the spans of each selected series name the store and the replica
 * labels of the chunks that served each stretch, and asking for them changes no answer.
 */
import assert from 'node:assert/strict'
import {Registry} from 'prom-client'
import {labelsFromRecord, labelsToRecord, type Labels} from '../../../src/core/labels/labels.js'
import {EndpointSet} from '../../../src/core/discovery/endpoint-set.js'
import {Engine} from '../../../src/core/promql/engine/engine.js'
import {ProxyStore} from '../../../src/core/proxy/proxy.js'
import {SelectExplainCollector, type SeriesSpans} from '../../../src/core/proxy/select-explain.js'
import {createStoreQueryable} from '../../../src/core/proxy/store-queryable.js'
import {TestStoreServer, type TestSeries} from '../../helpers/test-store-server.js'

const T0 = 1_700_000_000_000
const STEP = 15_000
const END = T0 + 3600_000
const GAP: [number, number] = [T0 + 1200_000, T0 + 1800_000]
const L = (r: Record<string, string>): Labels => labelsFromRecord(r)

function data(withGap: boolean, extra: Record<string, string> = {}): TestSeries[] {
  return ['a', 'b'].map((instance) => {
    const samples: Array<[number, number]> = []
    for (let t = T0; t <= END; t += STEP) if (!(withGap && t >= GAP[0] && t <= GAP[1])) samples.push([t, (t - T0) / 1000])
    return {labels: L({__name__: 'http_requests_total', instance, job: 'api', ...extra}), samples}
  })
}

const who = (s: SeriesSpans): Record<string, string | number>[] => s.spans.map((x) => ({...labelsToRecord(x.replica.labels), store: x.replica.store, from: x.from, to: x.to}))

describe('explain: spans through the store queryable', function () {
  this.timeout(30_000)
  const servers: TestStoreServer[] = []
  const sets: EndpointSet[] = []

  async function store(opts: ConstructorParameters<typeof TestStoreServer>[0]): Promise<TestStoreServer> {
    const s = new TestStoreServer(opts)
    await s.start()
    servers.push(s)
    return s
  }

  async function proxyOver(stores: TestStoreServer[]): Promise<ProxyStore> {
    const set = new EndpointSet({addresses: stores.map((s) => s.address), infoTimeoutMs: 2000, updateIntervalMs: 60_000, registry: new Registry()})
    await set.start()
    sets.push(set)
    return new ProxyStore({stores: () => set.storeRefs()})
  }

  after(async () => {
    for (const s of sets) await s.stop()
    for (const s of servers) s.stop()
  })

  const engine = new Engine()
  // the answer with its sample counts; timings differ from run to run
  const query = async (proxy: ProxyStore, q: string, explain?: SelectExplainCollector) => {
    const r = await engine.rangeQuery(createStoreQueryable(proxy, {replicaLabels: ['replica'], dedup: true, partialResponse: true, explain}), q, T0, END, 60_000)
    return {...r, stats: r.stats && {samples: r.stats.samples}}
  }

  it('two sidecar-like replicas: replica 0 until its gap, replica 1 after the penalty; the answer is unchanged', async () => {
    const r0 = await store({externalLabels: L({cluster: 'us1', replica: '0'}), series: data(true)})
    const r1 = await store({externalLabels: L({cluster: 'us1', replica: '1'}), series: data(false)})
    const proxy = await proxyOver([r0, r1])
    const c = new SelectExplainCollector()
    const plain = await query(proxy, 'rate(http_requests_total[5m])')
    const explained = await query(proxy, 'rate(http_requests_total[5m])', c)
    assert.deepEqual(explained, plain)
    assert.equal(c.selects.length, 1)
    const sel = c.selects[0]!
    assert.equal(sel.func, 'rate')
    assert.deepEqual(sel.series.map((s) => labelsToRecord(s.labels).instance), ['a', 'b'])
    for (const s of sel.series) {
      const sp = s.spans()
      // Both replicas scrape at the same instants: replica 0's last sample before its gap is
      // GAP[0] - 15 s; replica 1 is held 2 × 15 s behind, so it takes over at GAP[0] + 30 s and,
      // complete, keeps the output to the end.
      assert.deepEqual(who(sp), [
        {replica: '0', store: r0.address, from: T0, to: GAP[0] - STEP},
        {replica: '1', store: r1.address, from: GAP[0] + 2 * STEP, to: END},
      ])
      assert.deepEqual(sp.switches.map((x) => [x.at, labelsToRecord(x.from.labels).replica, labelsToRecord(x.to.labels).replica]), [[GAP[0] + 2 * STEP, '0', '1']])
      assert.deepEqual(sp.holes, [])
      assert.equal(sp.interval, STEP)
    }
  })

  it('one store holding both replicas (as a store gateway over both uploads): the replica labels of each chunk', async () => {
    const bucket = await store({externalLabels: L({cluster: 'eu1'}), series: [...data(true, {replica: '0'}), ...data(false, {replica: '1'})], samplesPerChunk: 30})
    const old = await store({externalLabels: L({cluster: 'eu1', replica: '2'}), series: data(true), supportsWithoutReplicaLabels: false})
    const proxy = await proxyOver([bucket, old])
    const c = new SelectExplainCollector()
    const q = 'http_requests_total{cluster="eu1", instance="a"}'
    const plain = await query(proxy, q)
    assert.deepEqual(await query(proxy, q, c), plain)
    const sp = c.selects[0]!.series[0]!.spans()
    const ids = who(sp).map((x) => `${x.store}/${x.replica}`)
    assert.equal(ids[0], `${bucket.address}/0`, JSON.stringify(who(sp)))
    // during the gap of replicas 0 and 2 only the bucket's replica 1 has data
    const during = who(sp).filter((x) => (x.from as number) < GAP[1] && (x.to as number) > GAP[0])
    assert.deepEqual(during.map((x) => `${x.store}/${x.replica}`), [`${bucket.address}/1`])
    // the spans hold every sample of the selected (merged) series
    const sel = c.selects[0]!
    const direct = await createStoreQueryable(proxy, {replicaLabels: ['replica'], dedup: true, partialResponse: true}).querier(sel.start, sel.end).select(sel.matchers, {start: sel.start, end: sel.end})
    assert.equal(sp.spans.reduce((n, x) => n + x.samples, 0), direct.series[0]!.samples!(sel.start, sel.end).ts.length)
  })
})
