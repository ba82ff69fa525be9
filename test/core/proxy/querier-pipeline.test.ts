/**
 * The querier's data path end to end over real gRPC on loopback: test StoreAPI servers (one
 * per HA replica, like sidecars) → EndpointSet (Info health checks) → ProxyStore (fan-out,
 * merge) → store Queryable (lazy XOR decode, dedup) — the same wiring `thanosts query` uses.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Registry} from 'prom-client'
import {getLabel, labelsFromRecord, labelsToString, type Labels} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {ThanostsError} from '../../../src/core/errors.js'
import {createLogger} from '../../../src/core/log.js'
import {EndpointSet} from '../../../src/core/discovery/endpoint-set.js'
import {ProxyStore} from '../../../src/core/proxy/proxy.js'
import {createStoreQueryable} from '../../../src/core/proxy/store-queryable.js'
import {DedupSeries} from '../../../src/core/dedup/dedup-series-set.js'
import type {Series} from '../../../src/core/promql/queryable.js'
import {Server, ServerCredentials} from '@grpc/grpc-js'
import {proxyAsStoreApi} from '../../../src/core/proxy/proxy-grpc.js'
import {registerStoreApi} from '../../../src/core/storeapi/store-grpc-server.js'
import {resolveSpecs} from '../../../src/core/discovery/dns-sd.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {TestStoreServer, type TestSeries} from '../../helpers/test-store-server.js'

const T0 = 1_700_000_000_000
const STEP = 15_000
const END = T0 + 3600_000
const GAP: [number, number] = [T0 + 1200_000, T0 + 1800_000]
const L = (r: Record<string, string>): Labels => labelsFromRecord(r)
const eq = (n: string, v: string) => new Matcher(MatchType.EQ, n, v)

function data(withGap: boolean): TestSeries[] {
  const out: TestSeries[] = []
  for (const instance of ['a', 'b', 'c']) {
    const samples: Array<[number, number]> = []
    for (let t = T0; t <= END; t += STEP) {
      if (withGap && t >= GAP[0] && t <= GAP[1]) continue
      samples.push([t, (t - T0) / 1000 + instance.charCodeAt(0)])
    }
    out.push({labels: L({__name__: 'http_requests_total', instance, job: 'api'}), samples})
  }
  return out
}
const truth = (instance: string, t: number) => (t - T0) / 1000 + instance.charCodeAt(0)

function drain(s: Series): Array<[number, number]> {
  const it = s.iterator()
  const out: Array<[number, number]> = []
  while (it.next()) out.push([it.atT(), it.at()])
  return out
}

describe('querier data path over gRPC (test StoreAPI servers)', function () {
  this.timeout(30_000)
  const servers: TestStoreServer[] = []
  let set: EndpointSet
  let registry: Registry
  let r0: TestStoreServer
  let r1: TestStoreServer
  let r2: TestStoreServer

  before(async () => {
    r0 = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '0'}), series: data(true)})
    r1 = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '1'}), series: data(false), batch: 4})
    // An old store that cannot strip replica labels: the proxy must do it.
    r2 = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '2'}), series: data(true), supportsWithoutReplicaLabels: false})
    for (const s of [r0, r1, r2]) {
      await s.start()
      servers.push(s)
    }
    registry = new Registry()
    set = new EndpointSet({addresses: [r0.address, r1.address], infoTimeoutMs: 2000, updateIntervalMs: 60_000, registry})
    await set.start()
  })

  after(async () => {
    await set?.stop()
    for (const s of servers) s.stop()
    for (const c of clients.values()) c.close()
  })

  function queryable(opts: {dedup: boolean; partialResponse?: boolean; stores?: () => ReturnType<EndpointSet['storeRefs']>; responseTimeoutMs?: number; timeoutMs?: number; replicaLabels?: string[]}) {
    const proxy = new ProxyStore({stores: opts.stores ?? (() => set.storeRefs()), responseTimeoutMs: opts.responseTimeoutMs})
    return createStoreQueryable(proxy, {replicaLabels: opts.replicaLabels ?? ['replica'], dedup: opts.dedup, partialResponse: opts.partialResponse ?? true, timeoutMs: opts.timeoutMs})
  }

  it('endpoint set: Info health checks, /api/v1/stores status and the connections metric', async () => {
    assert.equal(set.storeRefs().length, 2)
    const st = set.status()
    assert.deepEqual(Object.keys(st), ['sidecar'])
    const byName = new Map(st.sidecar!.map((s) => [s.name, s]))
    assert.deepEqual(byName.get(r0.address)!.labelSets, [{cluster: 'us1', replica: '0'}])
    assert.equal(byName.get(r0.address)!.lastError, null)
    assert.equal(byName.get(r0.address)!.minTime, T0)
    assert.match(byName.get(r0.address)!.lastCheck, /^\d{4}-\d\d-\d\dT/)
    const metric = await registry.getSingleMetricAsString('thanos_store_nodes_grpc_connections')
    assert.match(metric, /thanos_store_nodes_grpc_connections\{external_labels="\{cluster=\\"us1\\", replica=\\"0\\"\}",store_type="sidecar"\} 1/)
  })

  it('dedup on: one series per instance without the replica label, no gap, values as the complete data', async () => {
    const q = queryable({dedup: true}).querier(T0, END)
    const res = await q.select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
    assert.deepEqual(res.warnings, [])
    assert.deepEqual(res.series.map((s) => labelsToString(s.labels)), ['http_requests_total{cluster="us1", instance="a", job="api"}', 'http_requests_total{cluster="us1", instance="b", job="api"}', 'http_requests_total{cluster="us1", instance="c", job="api"}'])
    assert.ok(r0.lastRequest!.withoutReplicaLabels!.includes('replica'))
    for (const s of res.series) {
      const inst = getLabel(s.labels, 'instance')
      const got = drain(s)
      assert.equal(got[0]![0], T0)
      assert.equal(got[got.length - 1]![0], END)
      for (const [t, v] of got) assert.equal(v, truth(inst, t))
      // Where replica 0 has its hole, replica 1 fills it; the penalty costs at most 2 scrapes
      // at each switch (Thanos semantics), never the hole.
      for (let i = 1; i < got.length; i++) assert.ok(got[i]![0] - got[i - 1]![0] <= 3 * STEP, `gap after ${got[i - 1]![0] - T0}`)
      assert.ok(got.some(([t]) => t > GAP[0] && t < GAP[1]))
    }
  })

  it('dedup off: both replicas appear with their replica labels', async () => {
    const res = await queryable({dedup: false}).querier(T0, END).select([eq('__name__', 'http_requests_total'), eq('instance', 'a')], {start: T0, end: END})
    assert.deepEqual(res.series.map((s) => getLabel(s.labels, 'replica')), ['0', '1'])
    assert.equal(r1.lastRequest!.withoutReplicaLabels!.length, 0)
    const [s0, s1] = res.series.map(drain)
    assert.ok(s0!.length < s1!.length)
    assert.equal(s1!.length, (END - T0) / STEP + 1)
  })

  it('bounds samples to the select range although chunks reach beyond it', async () => {
    const from = T0 + 100_000
    const to = T0 + 200_000
    const res = await queryable({dedup: true}).querier(from, to).select([eq('instance', 'b')], {start: from, end: to})
    const got = drain(res.series[0]!)
    assert.ok(got.length > 0)
    for (const [t] of got) assert.ok(t >= from && t <= to)
  })

  it('a store that cannot strip replica labels is stripped and merged by the proxy', async () => {
    const refs = () => [...set.storeRefs(), ...[r2].map((s) => ({name: s.address, labelSets: [L({cluster: 'us1', replica: '2'})], minTime: T0, maxTime: Number.MAX_SAFE_INTEGER, supportsWithoutReplicaLabels: false, caller: clientFor(s.address)}))]
    const res = await queryable({dedup: true, stores: refs}).querier(T0, END).select([eq('instance', 'c')], {start: T0, end: END})
    assert.equal(res.series.length, 1)
    assert.equal(getLabel(res.series[0]!.labels, 'replica'), '')
    assert.equal(r2.lastRequest!.withoutReplicaLabels!.length, 0)
  })

  it('a store whose chunks are byte for byte another store\'s (the same block served twice) is merged once', async () => {
    // r2 serves r0's data (the same samples, so the same chunk bytes) under replica 2
    const refs = () => [...set.storeRefs(), ...[r2].map((s) => ({name: s.address, labelSets: [L({cluster: 'us1', replica: '2'})], minTime: T0, maxTime: Number.MAX_SAFE_INTEGER, supportsWithoutReplicaLabels: false, caller: clientFor(s.address)}))]
    const three = await queryable({dedup: true, stores: refs}).querier(T0, END).select([eq('instance', 'c')], {start: T0, end: END})
    const two = await queryable({dedup: true}).querier(T0, END).select([eq('instance', 'c')], {start: T0, end: END})
    const s = three.series[0]!
    assert.ok(s instanceof DedupSeries)
    assert.equal(s.replicas.length, 2, 'r0 and r1; r2 is r0 again')
    assert.deepEqual(drain(s), drain(two.series[0]!))
  })

  it('partial response: a failing store is a warning under WARN, an error under ABORT', async () => {
    const bad = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '9'}), series: data(false), mode: 'fail'})
    await bad.start()
    servers.push(bad)
    const refs = () => [...set.storeRefs(), {name: bad.address, labelSets: [L({cluster: 'us1', replica: '9'})], minTime: 0, maxTime: Number.MAX_SAFE_INTEGER, supportsWithoutReplicaLabels: true, caller: clientFor(bad.address)}]
    const res = await queryable({dedup: true, stores: refs}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END})
    assert.equal(res.series.length, 1)
    assert.equal(res.warnings.length, 1)
    assert.match(res.warnings[0]!, new RegExp(`${bad.address}.*connection to prometheus refused`))
    await assert.rejects(
      queryable({dedup: true, stores: refs, partialResponse: false}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END}),
      (e: unknown) => e instanceof ThanostsError && e.kind === 'unavailable' && e.message.includes(bad.address),
    )
  })

  it('one store down after its health check: warning and the other replica\'s data; the next check drops it', async () => {
    const tmp = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '7'}), series: data(false)})
    const addr = await tmp.start()
    const ownRegistry = new Registry()
    const own = new EndpointSet({addresses: [addr, r0.address], infoTimeoutMs: 1000, updateIntervalMs: 60_000, registry: ownRegistry})
    try {
      await own.start()
      assert.equal(own.storeRefs().length, 2)
      tmp.stop()
      const res = await queryable({dedup: true, stores: () => own.storeRefs()}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END})
      assert.equal(res.series.length, 1)
      assert.equal(res.warnings.length, 1)
      assert.match(res.warnings[0]!, new RegExp(addr))
      // Replica 0 alone: its hole shows.
      const got = drain(res.series[0]!)
      assert.ok(!got.some(([t]) => t > GAP[0] + 3 * STEP && t < GAP[1] - 3 * STEP))
      await own.update()
      assert.deepEqual(own.storeRefs().map((s) => s.name), [r0.address])
      // The connections metric of the lost store drops to 0 instead of vanishing.
      const m = await ownRegistry.getSingleMetricAsString('thanos_store_nodes_grpc_connections')
      assert.match(m, /replica=\\"7\\"\}",store_type="sidecar"\} 0/)
      assert.ok(own.status().sidecar!.find((s) => s.name === addr)!.lastError)
    } finally {
      await own.stop()
    }
  })

  it('a hanging store: response timeout gives a warning, query timeout an error — never a hang', async () => {
    const hang = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '8'}), series: data(false), mode: 'hang'})
    await hang.start()
    servers.push(hang)
    const refs = () => [...set.storeRefs(), {name: hang.address, labelSets: [L({cluster: 'us1', replica: '8'})], minTime: 0, maxTime: Number.MAX_SAFE_INTEGER, supportsWithoutReplicaLabels: true, caller: clientFor(hang.address)}]
    let t = Date.now()
    const res = await queryable({dedup: true, stores: refs, responseTimeoutMs: 300}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END})
    assert.ok(Date.now() - t < 3000)
    assert.equal(res.series.length, 1)
    assert.equal(res.warnings.length, 1)
    assert.match(res.warnings[0]!, /no response for 300ms/)
    t = Date.now()
    await assert.rejects(
      queryable({dedup: true, stores: refs, timeoutMs: 400}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END}),
      (e: unknown) => e instanceof ThanostsError && e.kind === 'timeout',
    )
    assert.ok(Date.now() - t < 3000)
    // The store saw both calls cancelled.
    await waitFor(() => hang.cancelledCalls >= 2)
  })

  it('stacked querier: the proxy served over gRPC is itself a StoreAPI endpoint (Info "query", batches, dedup)', async () => {
    const server = new Server()
    registerStoreApi(server, proxyAsStoreApi({proxy: new ProxyStore({stores: () => set.storeRefs()}), stores: () => set.storeRefs()}))
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))))
    const upper = new EndpointSet({addresses: [`127.0.0.1:${port}`], infoTimeoutMs: 2000, updateIntervalMs: 60_000})
    try {
      await upper.start()
      const st = upper.status()
      assert.deepEqual(Object.keys(st), ['query'])
      assert.deepEqual(st.query![0]!.labelSets, [{cluster: 'us1', replica: '0'}, {cluster: 'us1', replica: '1'}])
      assert.equal(st.query![0]!.minTime, T0)
      const direct = await queryable({dedup: true}).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
      const stacked = await queryable({dedup: true, stores: () => upper.storeRefs()}).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
      assert.deepEqual(stacked.series.map((s) => s.labels), direct.series.map((s) => s.labels))
      // The lower proxy concatenates both replicas' chunks into one series (as upstream); the
      // upper querier splits overlapping chunks into virtual replicas, so data is complete.
      for (let i = 0; i < direct.series.length; i++) {
        const got = drain(stacked.series[i]!)
        const inst = getLabel(stacked.series[i]!.labels, 'instance')
        for (const [t, v] of got) assert.equal(v, truth(inst, t))
        for (let k = 1; k < got.length; k++) assert.ok(got[k]![0] - got[k - 1]![0] <= 3 * STEP)
      }
      const noDedup = await queryable({dedup: false, stores: () => upper.storeRefs()}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END})
      assert.deepEqual(noDedup.series.map((s) => getLabel(s.labels, 'replica')), ['0', '1'])
      const names = await queryable({dedup: true, stores: () => upper.storeRefs()}).querier(T0, END).labelNames([], {start: T0, end: END})
      assert.deepEqual(names.names, ['__name__', 'cluster', 'instance', 'job'])
    } finally {
      await upper.stop()
      server.forceShutdown()
    }
  })

  it('func "series" (the /api/v1/series path) asks stores for labels only', async () => {
    const res = await queryable({dedup: true}).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END, func: 'series'})
    assert.equal(r0.lastRequest!.skipChunks, true)
    assert.equal(res.series.length, 3)
    assert.equal(res.series[0]!.iterator().next(), false)
  })

  it('a store that breaks the sort order is repaired, with a warning, instead of yielding duplicates', async () => {
    const bad = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '5'}), series: data(false), unsorted: true})
    await bad.start()
    servers.push(bad)
    const refs = () => [...set.storeRefs(), {name: bad.address, labelSets: [L({cluster: 'us1', replica: '5'})], minTime: 0, maxTime: Number.MAX_SAFE_INTEGER, supportsWithoutReplicaLabels: true, caller: clientFor(bad.address)}]
    const res = await queryable({dedup: true, stores: refs}).querier(T0, END).select([eq('__name__', 'http_requests_total')], {start: T0, end: END})
    assert.deepEqual(res.series.map((s) => getLabel(s.labels, 'instance')), ['a', 'b', 'c'])
    assert.ok(res.warnings.some((w) => w.includes('out of label order')))
  })

  it('dns+ addresses resolve through the system resolver (localhost)', async () => {
    const port = r0.address.split(':')[1]
    const dns = new EndpointSet({addresses: [`dns+localhost:${port}`], infoTimeoutMs: 1000, updateIntervalMs: 60_000})
    try {
      await dns.start()
      assert.ok(dns.storeRefs().some((s) => s.name === `127.0.0.1:${port}`), JSON.stringify(dns.all().map((e) => [e.address, e.lastError])))
    } finally {
      await dns.stop()
    }
    const {addresses, errors} = await resolveSpecs(['dns+no-such-host.invalid:1', '10.0.0.1:5'])
    assert.deepEqual(addresses, ['10.0.0.1:5'])
    assert.equal(errors.length, 1)
  })

  it('strict endpoints stay in the fan-out while failing: the failure is a warning, not missing data', async () => {
    const dead = `127.0.0.1:${await freePortForTest()}`
    const strict = new EndpointSet({addresses: [r0.address], strictAddresses: [dead], infoTimeoutMs: 500, updateIntervalMs: 60_000, unhealthyTimeoutMs: 1})
    try {
      await strict.start()
      await strict.update()
      assert.deepEqual(strict.storeRefs().map((s) => s.name).sort(), [r0.address, dead].sort())
      const res = await queryable({dedup: true, stores: () => strict.storeRefs()}).querier(T0, END).select([eq('instance', 'a')], {start: T0, end: END})
      assert.equal(res.series.length, 1)
      assert.equal(res.warnings.length, 1)
      assert.match(res.warnings[0]!, new RegExp(dead))
    } finally {
      await strict.stop()
    }
  })

  it('warns when two sidecars announce the same external labels', async () => {
    const twin = new TestStoreServer({externalLabels: L({cluster: 'us1', replica: '0'}), series: data(false)})
    await twin.start()
    servers.push(twin)
    const lines: string[] = []
    const logger = createLogger({level: 'warn', write: (l) => lines.push(l)})
    const dup = new EndpointSet({addresses: [r0.address, twin.address], infoTimeoutMs: 2000, updateIntervalMs: 60_000, logger})
    try {
      await dup.start()
      assert.ok(lines.some((l) => l.includes('found duplicate storeEndpoints producer') && (l.includes(twin.address) || l.includes(r0.address))), lines.join('\n'))
    } finally {
      await dup.stop()
    }
  })

  it('label names and values through the fan-out, replica label hidden with dedup', async () => {
    const q = queryable({dedup: true}).querier(T0, END)
    const names = await q.labelNames([], {start: T0, end: END})
    assert.deepEqual(names.names, ['__name__', 'cluster', 'instance', 'job'])
    const vals = await q.labelValues('instance', [], {start: T0, end: END})
    assert.deepEqual(vals.values, ['a', 'b', 'c'])
    const plain = queryable({dedup: false}).querier(T0, END)
    assert.deepEqual((await plain.labelValues('replica', [], {start: T0, end: END})).values, ['0', '1'])
  })

  it('file SD: endpoints appear and disappear when the file changes; unhealthy ones are removed after the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'thanosts-sd-'))
    const file = join(dir, 'stores.yaml')
    writeFileSync(file, `- targets: ['${r0.address}']\n`)
    const broken = new TestStoreServer({externalLabels: L({replica: 'x'}), series: [], mode: 'info-fail'})
    await broken.start()
    servers.push(broken)
    const sd = new EndpointSet({sdFiles: [join(dir, '*.yaml')], infoTimeoutMs: 1000, updateIntervalMs: 60_000, unhealthyTimeoutMs: 300})
    try {
      await sd.start()
      assert.deepEqual(sd.storeRefs().map((s) => s.name), [r0.address])
      writeFileSync(file, `- targets: ['${r0.address}', '${r1.address}']\n- targets: ['${broken.address}']\n`)
      await waitFor(() => sd.storeRefs().length === 2)
      assert.ok(sd.all().some((e) => e.address === broken.address && e.lastError !== undefined))
      await new Promise((r) => setTimeout(r, 350))
      await sd.update()
      assert.ok(!sd.all().some((e) => e.address === broken.address), 'removed after --store.unhealthy-timeout')
      writeFileSync(file, `- targets: ['${r1.address}']\n`)
      await waitFor(() => sd.storeRefs().length === 1 && sd.storeRefs()[0]!.name === r1.address)
    } finally {
      await sd.stop()
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

const clients = new Map<string, StoreClient>()
function clientFor(addr: string): StoreClient {
  let c = clients.get(addr)
  if (!c) clients.set(addr, (c = new StoreClient(addr)))
  return c
}

async function freePortForTest(): Promise<number> {
  const {createServer} = await import('node:net')
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address() as {port: number}
      s.close(() => resolve(a.port))
    })
  })
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
