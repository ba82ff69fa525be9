/**
 * thanosts with real Thanos, both ways, over an HA pair of real Prometheus 3 servers (replica 0
 * misses 40 minutes of the `ha_gap_*` series):
 * - a real `thanos query` over `thanosts sidecar`s;
 * - `thanosts query` over real `thanos sidecar`s;
 * - stacked: a real `thanos query` over `thanosts query`, and `thanosts query` over a real
 *   `thanos query`.
 * Every querier must answer the dashboard queries exactly as the complete replica's Prometheus
 * does (external labels aside), fill replica 0's gap from replica 1, and agree with the others
 * to the sample on the deduplicated gap series (same penalty algorithm).
 */
import assert from 'node:assert/strict'
import {compareResponses} from '../../bench/compare.js'
import {INSTANT_OFFSET_MS, QUERIES} from '../../bench/queries.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {GAP_OFFSET_MS, GAP_SCRAPE_MS, startHaPair, type HaPair} from '../helpers/ha-pair.js'
import {startThanosQuery, startThanosSidecar, type ThanosQueryHandle, type ThanosSidecarHandle} from '../helpers/peers.js'
import {apiGet, apiPost, queryParams} from '../helpers/prom-api.js'
import {startSidecar} from '../helpers/sidecar.js'

interface StoreEntry {
  name: string
  lastError: string | null
  labelSets: Record<string, string>[]
  minTime: number
  maxTime: number
}

const DROP = new Set(['cluster'])
const MAX_INT64 = 9223372036854775807

async function lowestTimestampMs(promUrl: string): Promise<number> {
  const text = await (await fetch(`${promUrl}/metrics`)).text()
  const m = /^prometheus_tsdb_lowest_timestamp_seconds (\S+)$/m.exec(text)
  assert.ok(m, 'Prometheus exports prometheus_tsdb_lowest_timestamp_seconds')
  return Number(m[1]) * 1000
}

async function storesOf(url: string): Promise<Record<string, StoreEntry[]>> {
  const r = await apiGet(url, '/api/v1/stores')
  assert.equal(r.code, 200, r.text)
  return (r.body as unknown as {data: Record<string, StoreEntry[]>}).data
}

async function waitOurStores(q: RunningQuerier, n: number): Promise<void> {
  const deadline = Date.now() + 30_000
  while (q.endpoints.storeRefs().length < n) {
    if (Date.now() > deadline) throw new Error(`thanosts query sees ${q.endpoints.storeRefs().length} stores, want ${n}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('interop: thanosts and real Thanos over a real Prometheus 3 HA pair', function () {
  this.timeout(180_000)
  let pair: HaPair
  let ours: RunningSidecar[] = []
  let theirs: ThanosSidecarHandle[] = []
  let thanosOverOurSidecars: ThanosQueryHandle | undefined
  let oursOverThanosSidecars: RunningQuerier | undefined
  let thanosOverOurQuery: ThanosQueryHandle | undefined
  let oursOverThanosQuery: RunningQuerier | undefined
  const queriers: {name: string; url: string}[] = []

  before(async function () {
    this.timeout(240_000)
    pair = await startHaPair({version: 3})
    ours = await Promise.all(pair.proms.map((p) => startSidecar(p)))
    theirs = await Promise.all(pair.proms.map((p) => startThanosSidecar(p)))
    const ourQuerier = async (stores: string[]): Promise<RunningQuerier> => {
      const q = await runQuerier(querierConfig(stores, nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
      await waitOurStores(q, stores.length)
      return q
    }
    ;[thanosOverOurSidecars, oursOverThanosSidecars] = await Promise.all([
      startThanosQuery({endpoints: ours.map((s) => `127.0.0.1:${s.grpcPort}`), replicaLabels: ['replica']}),
      ourQuerier(theirs.map((s) => s.grpcAddress)),
    ])
    ;[thanosOverOurQuery, oursOverThanosQuery] = await Promise.all([
      startThanosQuery({endpoints: [`127.0.0.1:${oursOverThanosSidecars.grpcPort}`], replicaLabels: ['replica']}),
      ourQuerier([thanosOverOurSidecars.grpcAddress]),
    ])
    queriers.push(
      {name: 'thanos query over thanosts sidecars', url: thanosOverOurSidecars.url},
      {name: 'thanosts query over thanos sidecars', url: `http://127.0.0.1:${oursOverThanosSidecars.httpPort}`},
      {name: 'thanos query over thanosts query', url: thanosOverOurQuery.url},
      {name: 'thanosts query over thanos query', url: `http://127.0.0.1:${oursOverThanosQuery.httpPort}`},
    )
  })

  after(async function () {
    this.timeout(60_000)
    await thanosOverOurQuery?.stop()
    await oursOverThanosQuery?.lifecycle.stop()
    await thanosOverOurSidecars?.stop()
    await oursOverThanosSidecars?.lifecycle.stop()
    await Promise.all(theirs.map((s) => s.stop()))
    await Promise.all(ours.map((s) => s.lifecycle.stop()))
    await pair?.stop()
  })

  it("thanos query's /api/v1/stores shows our sidecars healthy, with their label sets and Prometheus's time range", async function () {
    const stores = await storesOf(thanosOverOurSidecars!.url)
    const sidecars = (stores.sidecar ?? []).sort((a, b) => a.labelSets[0]!.replica!.localeCompare(b.labelSets[0]!.replica!))
    assert.equal(sidecars.length, 2, JSON.stringify(stores))
    for (const [i, s] of sidecars.entries()) {
      assert.equal(s.name, `127.0.0.1:${ours[i]!.grpcPort}`)
      assert.equal(s.lastError, null)
      assert.deepEqual(s.labelSets, [{cluster: 'us1', replica: String(i)}])
      assert.equal(s.minTime, await lowestTimestampMs(pair.proms[i]!.url), 'min time = the lowest timestamp Prometheus holds')
      assert.equal(s.maxTime, MAX_INT64)
    }
  })

  it('thanosts query sees real thanos sidecars as real thanos query sees ours (same label sets and time ranges)', async function () {
    const ourView = (await storesOf(`http://127.0.0.1:${oursOverThanosSidecars!.httpPort}`)).sidecar ?? []
    const theirView = (await storesOf(thanosOverOurSidecars!.url)).sidecar ?? []
    const shape = (l: StoreEntry[]) => l.map((s) => ({lastError: s.lastError, labelSets: s.labelSets, minTime: s.minTime, maxTime: s.maxTime})).sort((a, b) => JSON.stringify(a.labelSets).localeCompare(JSON.stringify(b.labelSets)))
    assert.equal(ourView.length, 2)
    assert.deepEqual(shape(ourView), shape(theirView))
  })

  it('stacked queriers list each other as component "query" with the union of the label sets', async function () {
    const theirs = (await storesOf(thanosOverOurQuery!.url)).query ?? []
    const oursList = (await storesOf(`http://127.0.0.1:${oursOverThanosQuery!.httpPort}`)).query ?? []
    for (const l of [theirs, oursList]) {
      assert.equal(l.length, 1, JSON.stringify(l))
      assert.equal(l[0]!.lastError, null)
      assert.deepEqual(
        [...l[0]!.labelSets].sort((a, b) => a.replica!.localeCompare(b.replica!)),
        [
          {cluster: 'us1', replica: '0'},
          {cluster: 'us1', replica: '1'},
        ],
      )
    }
  })

  it('every querier answers the dashboard queries exactly as the complete replica Prometheus does', async function () {
    const end = pair.data.endMs
    const failures: string[] = []
    for (const q of QUERIES) {
      const at = q.rangeMs === 0 ? {timeMs: end - INSTANT_OFFSET_MS} : {startMs: end - q.rangeMs, endMs: end, stepMs: q.stepMs}
      const {path, params} = queryParams(q.expr, at)
      const truth = await apiPost(pair.proms[1]!.url, path, params)
      assert.equal(truth.code, 200, truth.text)
      assert.ok(((truth.body.data?.result as unknown[]) ?? []).length > 0, `${q.id}: Prometheus has data`)
      for (const qr of queriers) {
        const got = await apiPost(qr.url, path, params)
        const diff = got.code === 200 ? compareResponses(truth.body, got.body, DROP) : `HTTP ${got.code}: ${got.text.slice(0, 200)}`
        if (diff) failures.push(`${qr.name}: ${q.id}: ${diff}`)
      }
    }
    assert.deepEqual(failures, [])
  })

  describe("replica 0's gap", function () {
    type Matrix = {metric: Record<string, string>; values: [number, string][]}[]
    const exprs = ['ha_gap_requests_total', 'rate(ha_gap_requests_total[5m])', 'sum by (job) (increase(ha_gap_requests_total[10m]))', 'ha_gap_temperature', 'max_over_time(ha_gap_temperature[2m])']
    const window = (): {startMs: number; endMs: number; stepMs: number} => ({startMs: pair.gap[0] - 30 * 60_000, endMs: pair.gap[1] + 30 * 60_000, stepMs: GAP_SCRAPE_MS})
    const withoutCluster = (m: Record<string, string>): string => JSON.stringify(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'cluster')))
    const matrix = async (url: string, expr: string, extra: Record<string, string> = {}): Promise<Matrix> => {
      const {path, params} = queryParams(expr, window(), extra)
      const r = await apiPost(url, path, params)
      assert.equal(r.code, 200, r.text)
      return r.body.data!.result as Matrix
    }
    // The queriers that deduplicate each store's series on their own; the others get both
    // replicas' chunks merged into one series by a Thanos proxy (see the last test).
    const perStore = (): {name: string; url: string}[] => [queriers[1]!]

    it('is a hole in replica 0 without dedup', async function () {
      const series = await matrix(thanosOverOurSidecars!.url, 'ha_gap_temperature', {dedup: 'false'})
      const r0 = series.find((s) => s.metric.replica === '0')!
      const r1 = series.find((s) => s.metric.replica === '1')!
      const w = window()
      assert.equal(r1.values.length, (w.endMs - w.startMs) / GAP_SCRAPE_MS + 1)
      // Lookback (5 m, left-open) bridges the first minutes of the hole; then nothing until
      // replica 0's first sample after it.
      const lastBefore = pair.gap[0] - GAP_SCRAPE_MS + GAP_OFFSET_MS
      const firstAfter = pair.gap[1] + GAP_OFFSET_MS
      const have = new Set(r0.values.map(([t]) => t * 1000))
      for (let t = w.startMs; t <= w.endMs; t += GAP_SCRAPE_MS) {
        const hole = t - 5 * 60_000 >= lastBefore && t < firstAfter
        assert.equal(have.has(t), !hole, `step ${t}: ${hole ? 'in' : 'outside'} the hole`)
      }
    })

    it('is filled by every querier: a value at every step, the replica label gone', async function () {
      for (const expr of exprs) {
        const truth = await matrix(pair.proms[1]!.url, expr)
        for (const qr of queriers) {
          const got = await matrix(qr.url, expr)
          assert.deepEqual(got.map((s) => withoutCluster(s.metric)).sort(), truth.map((s) => JSON.stringify(s.metric)).sort(), `${qr.name}: ${expr}: series`)
          for (const s of got) {
            const want = truth.find((t) => JSON.stringify(t.metric) === withoutCluster(s.metric))!
            assert.deepEqual(
              s.values.map(([t]) => t),
              want.values.map(([t]) => t),
              `${qr.name}: ${expr}: no hole`,
            )
          }
        }
      }
    })

    it("thanosts query equals the complete replica's Prometheus everywhere but the penalty window", async function () {
      const failures: string[] = []
      for (const expr of exprs) {
        const truth = await matrix(pair.proms[1]!.url, expr)
        for (const qr of perStore()) {
          for (const s of await matrix(qr.url, expr)) {
            const want = truth.find((t) => JSON.stringify(t.metric) === withoutCluster(s.metric))!
            // The penalty algorithm (Thanos pkg/dedup/iter.go) skips replica 1's samples within
            // 2x the scrape interval after replica 0's last one: windows that end or begin there
            // see those samples missing. Everywhere else the answer is Prometheus's own.
            const penaltyEnd = pair.gap[0] + 3 * GAP_SCRAPE_MS + 10 * 60_000
            for (const [i, [t, v]] of s.values.entries()) {
              if ((t * 1000 < pair.gap[0] || t * 1000 >= penaltyEnd) && v !== want.values[i]![1]) failures.push(`${qr.name}: ${expr} at ${t}: ${v}, Prometheus ${want.values[i]![1]}`)
            }
          }
        }
      }
      assert.deepEqual(failures.slice(0, 20), [])
    })

    it('Thanos drops samples where its proxy chains the replicas\' chunks into one virtual replica; thanosts does not', async function () {
      // Known difference, kept on purpose. A Thanos proxy (querier or stacked StoreAPI) merges
      // both replicas' chunks into one series, and its overlap split (Thanos pkg/dedup/iter.go,
      // overlapSplitSet) chains replica 1's chunk after replica 0's last one before the gap into a
      // "virtual replica". The penalty then treats replica 1's own next chunk as another replica
      // and skips its first sample(s). thanosts keeps each store's chunks apart (dedup/
      // overlap-split.ts) and loses nothing. Every value a Thanos path gives must still be a real
      // sample: the complete replica's value at one of the two steps before.
      for (const expr of ['ha_gap_requests_total', 'ha_gap_temperature']) {
        const truth = await matrix(pair.proms[1]!.url, expr)
        const ours = await matrix(queriers[1]!.url, expr)
        let thanosDrops = 0
        for (const qr of queriers.filter((q) => !perStore().includes(q))) {
          for (const s of await matrix(qr.url, expr)) {
            const want = truth.find((t) => JSON.stringify(t.metric) === withoutCluster(s.metric))!
            const mine = ours.find((o) => JSON.stringify(o.metric) === JSON.stringify(s.metric))!
            for (const [i, [t, v]] of s.values.entries()) {
              if (v === mine.values[i]![1]) continue
              thanosDrops++
              const earlier = [want.values[i - 1]?.[1], want.values[i - 2]?.[1]]
              assert.ok(earlier.includes(v), `${qr.name}: ${expr} at ${t}: ${v} is not a sample of the two steps before (${earlier})`)
            }
          }
        }
        if (expr === 'ha_gap_requests_total') assert.ok(thanosDrops > 0, 'the Thanos artifact shows (if Thanos fixed it, this test should be turned into an equality)')
      }
    })
  })
})
