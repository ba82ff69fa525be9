import assert from 'node:assert/strict'
import {labelsFromRecord, type Labels} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {ThanostsError} from '../../../src/core/errors.js'
import {labelSetsMatch, matchingStores, mergeSortedUnique, ProxyStore, flattenGroup} from '../../../src/core/proxy/proxy.js'
import {proxyAsStoreApi} from '../../../src/core/proxy/proxy-grpc.js'
import type {LabelsQuery, SeriesFrame, SeriesQuery, StoreCaller, StoreChunk, StoreRef, StoreSeries} from '../../../src/core/storepb/store-types.js'

const L = (r: Record<string, string>): Labels => labelsFromRecord(r)
const eq = (n: string, v: string) => new Matcher(MatchType.EQ, n, v)
const re = (n: string, v: string) => new Matcher(MatchType.RE, n, v)

function chunk(minTime: number, maxTime: number, byte = 0): StoreChunk {
  return {minTime, maxTime, data: new Uint8Array([0, 1, byte]), encoding: 0, hash: ''}
}

/** An in-process store over a fixed, sorted series list; records what it was asked. */
class ListStore implements StoreCaller {
  calls: SeriesQuery[] = []
  cancelled = false
  constructor(
    private readonly list: StoreSeries[],
    private readonly behaviour: 'ok' | 'fail' | 'hang' | 'fail-mid' | 'warn' = 'ok',
  ) {}
  async *series(q: SeriesQuery, signal: AbortSignal): AsyncGenerator<SeriesFrame> {
    this.calls.push(q)
    signal.addEventListener('abort', () => (this.cancelled = true))
    if (this.behaviour === 'fail') throw new Error('connection refused')
    if (this.behaviour === 'warn') yield {warning: 'store-side warning'}
    let i = 0
    for (const s of this.list) {
      if (this.behaviour === 'fail-mid' && i++ === 1) throw new Error('stream reset')
      if (this.behaviour === 'hang' && i++ === 1) await new Promise((r) => signal.addEventListener('abort', r))
      if (signal.aborted) return
      yield {series: s}
    }
  }
  async labelNames(_q: LabelsQuery, signal: AbortSignal) {
    if (this.behaviour === 'fail') throw new Error('connection refused')
    if (this.behaviour === 'hang') await new Promise((r) => signal.addEventListener('abort', r))
    const names = new Set<string>()
    for (const s of this.list) for (const l of s.labels) names.add(l.name)
    return {names: [...names].sort(), warnings: []}
  }
  async labelValues(name: string) {
    if (this.behaviour === 'fail') throw new Error('connection refused')
    return {values: [...new Set(this.list.map((s) => s.labels.find((l) => l.name === name)?.value ?? ''))].filter((v) => v !== '').sort(), warnings: []}
  }
}

function ref(name: string, caller: StoreCaller, ext: Record<string, string>[] = [], minTime = 0, maxTime = Number.MAX_SAFE_INTEGER, supportsWithout = true): StoreRef {
  return {name, caller, labelSets: ext.map(L), minTime, maxTime, supportsWithoutReplicaLabels: supportsWithout}
}

async function collect(proxy: ProxyStore, q: Partial<SeriesQuery> & {matchers: Matcher[]}, signal?: AbortSignal) {
  const res = proxy.series({minTime: 0, maxTime: 1000, partialResponse: true, ...q}, signal)
  const groups = []
  for await (const g of res.groups) groups.push(g)
  return {groups, warnings: res.warnings}
}

describe('proxy store pruning', () => {
  it('labelSetsMatch: OR over sets; matchers on absent labels ignored; no sets always match', () => {
    const sets = [L({cluster: 'us1', replica: '0'}), L({cluster: 'eu1'})]
    assert.equal(labelSetsMatch([eq('cluster', 'us1')], sets), true)
    assert.equal(labelSetsMatch([eq('cluster', 'eu1')], sets), true)
    assert.equal(labelSetsMatch([eq('cluster', 'ap1')], sets), false)
    assert.equal(labelSetsMatch([eq('__name__', 'up'), re('cluster', 'us.*')], sets), true)
    assert.equal(labelSetsMatch([eq('replica', '1')], sets), true, 'second set lacks replica')
    assert.equal(labelSetsMatch([eq('replica', '1')], [L({replica: '0'})]), false)
    assert.equal(labelSetsMatch([eq('cluster', 'x')], []), true)
  })

  it('matchingStores: time overlap, external labels and storeMatch[] on __address__', () => {
    const s = new ListStore([])
    const stores = [ref('a:1', s, [{cluster: 'us1'}], 0, 100), ref('b:1', s, [{cluster: 'eu1'}], 50, 200), ref('c:1', s, [], 300, 400)]
    const names = (q: Parameters<typeof matchingStores>[1]) => matchingStores(stores, q).map((x) => x.name)
    assert.deepEqual(names({minTime: 0, maxTime: 1000, matchers: [eq('__name__', 'up')]}), ['a:1', 'b:1', 'c:1'])
    assert.deepEqual(names({minTime: 101, maxTime: 250, matchers: [eq('__name__', 'up')]}), ['b:1'])
    assert.deepEqual(names({minTime: 200, maxTime: 300, matchers: []}), ['b:1', 'c:1'], 'inclusive bounds')
    assert.deepEqual(names({minTime: 0, maxTime: 1000, matchers: [eq('cluster', 'eu1')]}), ['b:1', 'c:1'])
    assert.deepEqual(names({minTime: 0, maxTime: 1000, matchers: [], storeMatchers: [[re('__address__', 'a.*')], [eq('__address__', 'c:1')]]}), ['a:1', 'c:1'])
  })
})

describe('ProxyStore', () => {
  it('merges many stores in label order; identical label sets become one group with parts per store', async () => {
    const stores: StoreRef[] = []
    for (let i = 0; i < 6; i++) {
      const list: StoreSeries[] = []
      for (let k = 0; k < 20; k++) if ((k + i) % 3 !== 0) list.push({labels: L({__name__: 'm', k: String(k).padStart(2, '0')}), chunks: [chunk(i * 10, i * 10 + 5, i)]})
      stores.push(ref(`s${i}:1`, new ListStore(list)))
    }
    const proxy = new ProxyStore({stores: () => stores})
    const {groups, warnings} = await collect(proxy, {matchers: [eq('__name__', 'm')]})
    assert.deepEqual(warnings, [])
    assert.equal(groups.length, 20)
    for (let k = 0; k < 20; k++) {
      assert.equal(groups[k]!.labels[1]!.value, String(k).padStart(2, '0'))
      const expectSources = [0, 1, 2, 3, 4, 5].filter((i) => (k + i) % 3 !== 0)
      assert.deepEqual(groups[k]!.parts.map((p) => p.source), expectSources)
    }
    // Flattened for the wire: all chunks, sorted by time.
    const flat = flattenGroup(groups[0]!)
    assert.deepEqual(flat.chunks.map((c) => c.minTime), [10, 20, 40, 50])
  })

  it('flattenGroup drops identical chunks (same range and bytes, or same hash)', () => {
    const a = {labels: L({a: '1'}), chunks: [chunk(0, 10, 1), chunk(11, 20, 2)]}
    const b = {labels: L({a: '1'}), chunks: [chunk(0, 10, 1), chunk(11, 20, 3), {...chunk(30, 40, 9), hash: '77'}]}
    const c = {labels: L({a: '1'}), chunks: [{...chunk(30, 40, 8), hash: '77'}]}
    const flat = flattenGroup({labels: a.labels, parts: [{source: 0, item: a}, {source: 1, item: b}, {source: 2, item: c}]})
    assert.deepEqual(flat.chunks.map((x) => [x.minTime, x.data[2]]), [[0, 1], [11, 2], [11, 3], [30, 9]])
  })

  it('passes without_replica_labels to stores that support it, strips and re-sorts for those that do not', async () => {
    const modern = new ListStore([{labels: L({a: '1'}), chunks: []}, {labels: L({a: '2'}), chunks: []}])
    const old = new ListStore([
      {labels: L({a: '1', replica: 'x'}), chunks: []},
      {labels: L({a: '1', b: '0', replica: 'x'}), chunks: []},
      {labels: L({a: '2', replica: 'x'}), chunks: []},
    ])
    const proxy = new ProxyStore({stores: () => [ref('m:1', modern), ref('o:1', old, [], 0, 1e12, false)]})
    const {groups} = await collect(proxy, {matchers: [eq('a', '1')], withoutReplicaLabels: ['replica']})
    assert.deepEqual(modern.calls[0]!.withoutReplicaLabels, ['replica'])
    assert.equal(old.calls[0]!.withoutReplicaLabels, undefined)
    assert.deepEqual(groups.map((g) => [g.labels, g.parts.map((p) => p.source)]), [
      [L({a: '1'}), [0, 1]],
      [L({a: '1', b: '0'}), [1]],
      [L({a: '2'}), [0, 1]],
    ])
  })

  it('partial response WARN: a failing store (at start or mid-stream) becomes a warning, the rest is returned', async () => {
    const good = new ListStore([{labels: L({a: '1'}), chunks: []}, {labels: L({a: '2'}), chunks: []}])
    const bad = new ListStore([], 'fail')
    const mid = new ListStore([{labels: L({a: '0'}), chunks: []}, {labels: L({a: '5'}), chunks: []}], 'fail-mid')
    const warn = new ListStore([{labels: L({a: '3'}), chunks: []}], 'warn')
    const proxy = new ProxyStore({stores: () => [ref('good:1', good), ref('bad:1', bad), ref('mid:1', mid), ref('warn:1', warn)]})
    const {groups, warnings} = await collect(proxy, {matchers: [re('a', '.+')]})
    assert.deepEqual(groups.map((g) => g.labels[0]!.value), ['0', '1', '2', '3'])
    assert.equal(warnings.length, 3)
    assert.ok(warnings.some((w) => w.includes('bad:1') && w.includes('connection refused')))
    assert.ok(warnings.some((w) => w.includes('mid:1') && w.includes('stream reset')))
    assert.ok(warnings.includes('store-side warning'))
  })

  it('partial response ABORT: a failing store fails the request with a typed error', async () => {
    const proxy = new ProxyStore({stores: () => [ref('good:1', new ListStore([{labels: L({a: '1'}), chunks: []}])), ref('bad:1', new ListStore([], 'fail'))]})
    await assert.rejects(collect(proxy, {matchers: [eq('a', '1')], partialResponse: false}), (e: unknown) => e instanceof ThanostsError && e.kind === 'unavailable' && e.message.includes('bad:1'))
  })

  it('a silent store hits the response timeout: warning under WARN, cancelled', async () => {
    const hang = new ListStore([{labels: L({a: '1'}), chunks: []}, {labels: L({a: '2'}), chunks: []}], 'hang')
    const good = new ListStore([{labels: L({a: '3'}), chunks: []}])
    const proxy = new ProxyStore({stores: () => [ref('hang:1', hang), ref('good:1', good)], responseTimeoutMs: 100})
    const t0 = Date.now()
    const {groups, warnings} = await collect(proxy, {matchers: [re('a', '.+')]})
    assert.ok(Date.now() - t0 < 2000)
    assert.deepEqual(groups.map((g) => g.labels[0]!.value), ['1', '3'])
    assert.equal(warnings.length, 1)
    assert.match(warnings[0]!, /hang:1.*no response for 100ms/)
    assert.equal(hang.cancelled, true)
  })

  it('no stores: empty result with a warning under WARN, unavailable error under ABORT; no matchers is bad data', async () => {
    const proxy = new ProxyStore({stores: () => []})
    const r = await collect(proxy, {matchers: [eq('a', '1')]})
    assert.deepEqual(r.groups, [])
    assert.deepEqual(r.warnings, ['No StoreAPIs available'])
    assert.throws(() => proxy.series({minTime: 0, maxTime: 1, matchers: [eq('a', '1')], partialResponse: false}), /No StoreAPIs available/)
    assert.throws(() => proxy.series({minTime: 0, maxTime: 1, matchers: [], partialResponse: true}), (e: unknown) => e instanceof ThanostsError && e.kind === 'bad_data')
  })

  it('the caller aborting cancels every store stream', async () => {
    const a = new ListStore([{labels: L({a: '1'}), chunks: []}, {labels: L({a: '2'}), chunks: []}], 'hang')
    const b = new ListStore([{labels: L({a: '3'}), chunks: []}, {labels: L({a: '4'}), chunks: []}], 'hang')
    const proxy = new ProxyStore({stores: () => [ref('a:1', a), ref('b:1', b)]})
    const ctl = new AbortController()
    setTimeout(() => ctl.abort(), 50)
    await assert.rejects(collect(proxy, {matchers: [re('a', '.+')]}, ctl.signal), (e: unknown) => e instanceof ThanostsError && e.kind === 'canceled')
    assert.equal(a.cancelled, true)
    assert.equal(b.cancelled, true)
  })

  it('limit stops the merge and cancels the stores', async () => {
    const list = Array.from({length: 50}, (_, k) => ({labels: L({k: String(k).padStart(2, '0')}), chunks: []}))
    const s = new ListStore(list)
    const proxy = new ProxyStore({stores: () => [ref('s:1', s)]})
    const {groups} = await collect(proxy, {matchers: [re('k', '.+')], limit: 5})
    assert.equal(groups.length, 5)
    assert.equal(s.cancelled, true)
  })

  it('proxyAsStoreApi: merged series as wire frames with warnings interleaved, Info as a "query" component', async () => {
    const a = new ListStore([{labels: L({a: '1'}), chunks: [chunk(0, 10, 1)]}, {labels: L({a: '2'}), chunks: []}])
    const b = new ListStore([{labels: L({a: '1'}), chunks: [chunk(0, 10, 1), chunk(11, 20, 2)]}])
    const stores = [ref('a:1', a, [{replica: '0'}], 5, 100), ref('b:1', b, [{replica: '1'}], 0, 50), ref('c:1', new ListStore([], 'fail'), [{replica: '2'}])]
    const api = proxyAsStoreApi({proxy: new ProxyStore({stores: () => stores}), stores: () => stores})
    const frames = []
    for await (const f of api.series({minTime: 0, maxTime: 100, matchers: [re('a', '.+')], partialResponse: true}, new AbortController().signal)) frames.push(f)
    assert.equal(frames.filter((f) => f.warning !== undefined).length, 1)
    const series = frames.filter((f) => f.series !== undefined).map((f) => f.series!)
    assert.deepEqual(series.map((s) => [s.labels[0]!.value, s.chunks.length]), [['1', 2], ['2', 0]])
    const info = api.info()
    assert.equal(info.componentType, 'query')
    assert.deepEqual(info.labelSets, [L({replica: '0'}), L({replica: '1'}), L({replica: '2'})])
    assert.deepEqual([info.store!.minTime, info.store!.supportsWithoutReplicaLabels], [0, true])
  })

  it('label names and values: sorted unique union, failures as warnings, replica labels hidden', async () => {
    const a = new ListStore([{labels: L({__name__: 'up', job: 'x', replica: '0'}), chunks: []}])
    const b = new ListStore([{labels: L({__name__: 'up', instance: 'i', replica: '1'}), chunks: []}])
    const proxy = new ProxyStore({stores: () => [ref('a:1', a), ref('b:1', b), ref('c:1', new ListStore([], 'fail'))]})
    const q = {start: 0, end: 1000, matchers: [], partialResponse: true}
    const names = await proxy.labelNames(q)
    assert.deepEqual(names.names, ['__name__', 'instance', 'job', 'replica'])
    assert.equal(names.warnings.length, 1)
    assert.deepEqual((await proxy.labelNames({...q, withoutReplicaLabels: ['replica']})).names, ['__name__', 'instance', 'job'])
    assert.deepEqual((await proxy.labelValues('replica', q)).values, ['0', '1'])
    assert.deepEqual((await proxy.labelValues('replica', {...q, withoutReplicaLabels: ['replica']})).values, [])
    await assert.rejects(proxy.labelNames({...q, partialResponse: false}), /c:1/)
    assert.deepEqual(mergeSortedUnique([['b', 'a'], ['c', 'a']]), ['a', 'b', 'c'])
  })
})
