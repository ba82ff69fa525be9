/**
 * Counter dedup through the real PromQL engine (thanos issues #2401, #1326, #7623): two HA
 * replicas of one counter, scraped 3 s apart, one with a 10-minute hole, both seeing the
 * target's resets, served as XOR chunks through the proxy and the store Queryable.
 * `rate()` over the deduplicated series must match `rate()` over a single complete replica,
 * and a replica that disagrees with the other must not produce a spike.
 */
import assert from 'node:assert/strict'
import {labelsFromRecord, type Labels} from '../../../src/core/labels/labels.js'
import {encodeXorChunks} from '../../../src/core/chunkenc/xor-encoder.js'
import {Engine} from '../../../src/core/promql/engine/engine.js'
import type {Queryable} from '../../../src/core/promql/queryable.js'
import {ProxyStore} from '../../../src/core/proxy/proxy.js'
import {createStoreQueryable} from '../../../src/core/proxy/store-queryable.js'
import type {SeriesFrame, StoreCaller, StoreRef, StoreSeries} from '../../../src/core/storepb/store-types.js'

const T0 = 1_700_000_000_000
const END = T0 + 3600_000
const SLOPE = 7 // per second
const RESETS = [T0 + 1000_000, T0 + 2500_000]
const HOLE: [number, number] = [T0 + 1500_000, T0 + 2100_000]

function truth(t: number): number {
  let since = T0 - 100_000_000 // a long-running counter
  for (const r of RESETS) if (t >= r) since = r
  return (SLOPE * (t - since)) / 1000
}

/** `lagMs`: the replica sees the counter as it was that long ago (a lagging exporter view). */
function replica(offset: number, hole: boolean, lagMs = 0): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let t = T0 + offset; t <= END; t += 15_000) if (!hole || t < HOLE[0] || t > HOLE[1]) out.push([t, truth(t - lagMs)])
  return out
}

/** An in-process store with one series made of real XOR chunks. */
function store(name: string, replicaLabel: string, samples: Array<[number, number]>): StoreRef {
  const labels: Labels = labelsFromRecord({__name__: 'requests_total', job: 'api', replica: replicaLabel})
  const chunks = encodeXorChunks(samples.map((s) => s[0]), samples.map((s) => s[1])).map((c) => ({...c, encoding: 0, hash: ''}))
  const caller: StoreCaller = {
    async *series(q): AsyncGenerator<SeriesFrame> {
      const strip = new Set(q.withoutReplicaLabels ?? [])
      const s: StoreSeries = {labels: labels.filter((l) => !strip.has(l.name)), chunks}
      yield {series: s}
    },
    labelNames: async () => ({names: [], warnings: []}),
    labelValues: async () => ({values: [], warnings: []}),
  }
  return {name, caller, labelSets: [labelsFromRecord({replica: replicaLabel})], minTime: T0, maxTime: END, supportsWithoutReplicaLabels: true}
}

async function rates(q: Queryable, expr: string, start = T0 + 600_000): Promise<Map<number, number>> {
  const res = await new Engine().rangeQuery(q, expr, start, END, 30_000)
  assert.equal(res.value.type, 'matrix')
  const m = new Map<number, number>()
  if (res.value.type !== 'matrix') return m
  assert.equal(res.value.series.length, 1)
  const s = res.value.series[0]!
  for (let i = 0; i < s.ts.length; i++) m.set(s.ts[i]!, s.vs[i]!)
  return m
}

const dedupQ = (stores: StoreRef[], dedupAlgorithm: 'penalty' | 'penalty-fill' = 'penalty') =>
  createStoreQueryable(new ProxyStore({stores: () => stores}), {replicaLabels: ['replica'], dedup: true, partialResponse: true, dedupAlgorithm})

describe('rate() over deduplicated counters, through the PromQL engine', () => {
  it('staggered replicas with a hole and resets: rate equals the single complete replica', async () => {
    const a = store('a:1', '0', replica(0, true))
    const b = store('b:1', '1', replica(3_000, false))
    const dedup = await rates(dedupQ([a, b]), 'rate(requests_total[5m])')
    const single = await rates(dedupQ([b]), 'rate(requests_total[5m])')
    assert.ok(dedup.size > 90)
    for (const [t, v] of single) {
      const d = dedup.get(t)
      assert.ok(d !== undefined, `missing step ${t - T0}`)
      const within = (x: number) => t >= x && t - 300_000 <= x
      const nearReset = RESETS.some(within)
      // Where the output switches replica, the penalty (Thanos semantics) drops up to two
      // scrapes, so a window starting in that stretch extrapolates over less: within one
      // scrape interval's worth, never a spike.
      const nearSwitch = within(HOLE[0]) || within(HOLE[0] + 45_000)
      // Elsewhere the counter is linear and both give the slope exactly (float rounding aside).
      // Windows with a reset lose the part before the first post-reset sample, which depends on
      // where each replica scraped: within one scrape interval of increase.
      const tol = nearReset || nearSwitch ? (SLOPE * 15) / 300 : 1e-9 * SLOPE
      assert.ok(Math.abs(d - v) <= tol, `t=${(t - T0) / 1000}s dedup ${d} single ${v}`)
      if (!nearReset) assert.ok(Math.abs(v - SLOPE) < 1e-9)
    }
  })

  it('with penalty-fill the switch loses no scrape: rate equals the single replica away from resets', async () => {
    const a = store('a:1', '0', replica(0, true))
    const b = store('b:1', '1', replica(3_000, false))
    const dedup = await rates(dedupQ([a, b], 'penalty-fill'), 'rate(requests_total[5m])')
    const single = await rates(dedupQ([b]), 'rate(requests_total[5m])')
    for (const [t, v] of single) {
      const nearReset = RESETS.some((r) => t >= r && t - 300_000 <= r)
      const tol = nearReset ? (SLOPE * 15) / 300 : 1e-9 * SLOPE
      assert.ok(Math.abs(dedup.get(t)! - v) <= tol, `t=${(t - T0) / 1000}s dedup ${dedup.get(t)} single ${v}`)
    }
  })

  it('a replica that lags the other (lower values): no false reset spike with counter dedup; spike without it', async () => {
    const a = store('a:1', '0', replica(0, true))
    const b = store('b:1', '1', replica(3_000, false, 60_000)) // 420 units behind A: more than 2 scrapes' worth
    // Start so that the first window's data begins on one of A's scrapes: otherwise the
    // penalty's first choice is B and the output switches to A 12 s later, a jump up by the
    // full disagreement between the replicas (a known limit: only drops are adjusted, as
    // upstream; a jump up cannot be told from real growth without history).
    const start = T0 + 600_000 - 1
    const counterAware = await rates(dedupQ([a, b]), 'rate(requests_total[5m])', start)
    const singleB = await rates(dedupQ([b]), 'rate(requests_total[5m])', start)
    // The same data read without the counter hint (last_over_time keeps the plain merge), then
    // rate computed by PromQL over it through a subquery: what a naive merge does to rate.
    const naive = await rates(dedupQ([a, b]), 'rate(last_over_time(requests_total[20s])[5m:15s])', start)
    const max = (m: Map<number, number>) => Math.max(...m.values())
    assert.ok(max(counterAware) <= max(singleB) * 1.05, `counter-aware max rate ${max(counterAware)} vs replica B alone ${max(singleB)}`)
    // The fake reset adds the whole counter value (3500 here, since the reset at 1000 s) to one window.
    assert.ok(max(naive) > SLOPE * 2, `naive merge should spike, got ${max(naive)}`)
  })
})
