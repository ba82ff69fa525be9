/**
 * explain=true (issue 18) on real replicas: the HA pair of real Prometheus 3 servers (replica 0
 * misses 40 minutes of the `ha_gap_*` series) and a second real pair, cluster `eu1`, whose
 * replicas miss overlapping stretches of one gauge, so that for 10 minutes neither has data.
 * Our sidecars in front of all four, our querier over them; query-once over the same stores
 * (--store) and over the querier (--query.url).
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {INSTANT_OFFSET_MS, QUERIES} from '../../bench/queries.js'
import type {ApiExplain, ApiExplainInput} from '../../src/core/api/api-types.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {GAP_OFFSET_MS, GAP_SCRAPE_MS, startHaPair, type HaPair} from '../helpers/ha-pair.js'
import {samples} from '../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiPost, queryParams, type ApiParams} from '../helpers/prom-api.js'
import {startSidecar} from '../helpers/sidecar.js'
import {BIN} from '../helpers/cli.js'

const execFileP = promisify(execFile)
const MIN = 60_000
const HOUR = 60 * MIN
const S = GAP_SCRAPE_MS / 1000

interface ExplainBody {
  status: string
  data: {resultType: string; result: {metric: Record<string, string>}[]}
  explain?: ApiExplain
}

describe('explain: which replica served which stretch, over real Prometheus replicas', function () {
  this.timeout(180_000)
  let pair: HaPair
  let holePair: PrometheusHandle[] = []
  let sidecars: RunningSidecar[] = []
  let querier: RunningQuerier
  let url: string
  let stores: string[]
  let end: number
  /** The eu1 pair's outages: replica 0 misses [r0[0], r0[1]), replica 1 [r1[0], r1[1]). */
  let holeR0: [number, number]
  let holeR1: [number, number]
  /** Sample times of the gap series (both pairs share them). */
  let grid: (t: number) => {before: number; after: number}

  before(async function () {
    this.timeout(240_000)
    pair = await startHaPair({version: 3})
    end = pair.data.endMs
    const t0 = end - 6 * HOUR + GAP_OFFSET_MS
    const n = Math.floor((6 * HOUR) / GAP_SCRAPE_MS)
    // last sample before t and first sample at or after t on the 15 s grid
    grid = (t) => {
      const k = Math.ceil((t - t0) / GAP_SCRAPE_MS)
      return {before: t0 + (k - 1) * GAP_SCRAPE_MS, after: t0 + k * GAP_SCRAPE_MS}
    }
    holeR0 = [end - 3 * HOUR, end - 2.5 * HOUR]
    holeR1 = [end - 2 * HOUR - 40 * MIN, end - 2 * HOUR - 10 * MIN]
    const missing = (h: [number, number]) => (t: number) => t >= h[0] && t < h[1]
    holePair = await startPrometheusSet(
      [holeR0, holeR1].map((h, replica) => ({
        version: 3 as const,
        externalLabels: {cluster: 'eu1', replica: String(replica)},
        series: [{metric: 'explain_hole_gauge', type: 'gauge' as const, labels: {room: 'b'}, samples: samples(t0, GAP_SCRAPE_MS, n, (i, t) => (missing(h)(t) ? undefined : i % 11))}],
      })),
    )
    // replica 0 of each pair first: on equal timestamps the first replica wins the tie
    sidecars = await Promise.all([...pair.proms, ...holePair].map((p) => startSidecar(p)))
    stores = sidecars.map((s) => `127.0.0.1:${s.grpcPort}`)
    querier = await runQuerier(querierConfig(stores, nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    const deadline = Date.now() + 30_000
    while (querier.endpoints.storeRefs().length < stores.length) {
      if (Date.now() > deadline) throw new Error('querier does not see the four sidecars')
      await new Promise((r) => setTimeout(r, 100))
    }
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    this.timeout(60_000)
    await querier?.lifecycle.stop()
    await Promise.all(sidecars.map((s) => s.lifecycle.stop()))
    await Promise.all(holePair.map((p) => p.stop()))
    await pair?.stop()
  })

  const range = () => ({startMs: end - 4 * HOUR, endMs: end, stepMs: MIN})
  async function explained(expr: string, extra: ApiParams = {}): Promise<{body: ExplainBody; text: string}> {
    const q = queryParams(expr, range(), {explain: 'true', ...extra})
    const r = await apiPost(url, q.path, q.params)
    assert.equal(r.code, 200, r.text)
    return {body: r.body as unknown as ExplainBody, text: r.text}
  }
  const sec = (ms: number) => ms / 1000
  const storeOf = (i: number) => stores[i]!

  /** Spans in order, without overlap, from the window's start to its end (gaps only at switches or holes). */
  function assertCovers(inp: ApiExplainInput, fromMs: number, toMs: number): void {
    const sp = inp.spans
    assert.ok(sp.length > 0)
    assert.ok(sp[0]!.from - sec(fromMs) <= S, `first span starts at the window's first sample: ${sp[0]!.from} vs ${sec(fromMs)}`)
    assert.ok(sec(toMs) - sp[sp.length - 1]!.to <= S, 'last span reaches the window end')
    for (let i = 1; i < sp.length; i++) {
      assert.ok(sp[i - 1]!.to < sp[i]!.from, 'no overlap')
      const hole = inp.holes.some((h) => h.from === sp[i - 1]!.to && h.to === sp[i]!.from)
      // the penalty algorithm (thanos pkg/dedup/iter.go) leaves at most 3 scrape intervals at a switch
      assert.ok(hole || sp[i]!.from - sp[i - 1]!.to <= 3 * S, `gap between spans ${i - 1} and ${i}: ${sp[i]!.from - sp[i - 1]!.to} s`)
    }
    for (const s of sp) assert.equal(s.samples, Math.round((s.to - s.from) / S) + 1, 'a span holds every scrape between its ends')
  }

  it("replica 0's outage: replica 0 until it starts, replica 1 from the penalty on, named by labels and store; no hole", async function () {
    const {body} = await explained('ha_gap_requests_total')
    const r = range()
    const windowStart = r.startMs - 5 * MIN + 1 // the lookback delta before the first step
    assert.equal(body.explain!.series.length, 2)
    for (const s of body.explain!.series) {
      assert.equal(s.inputs.length, 1)
      const inp = s.inputs[0]!
      assert.deepEqual(inp.metric, s.metric)
      assertCovers(inp, windowStart, r.endMs)
      const last0 = grid(pair.gap[0]).before
      assert.deepEqual(
        inp.spans.map((x) => ({replica: x.replica, store: x.store, to: x.to})),
        [
          {replica: {replica: '0'}, store: storeOf(0), to: sec(last0)},
          // complete, replica 1 keeps the output after replica 0 comes back (no gap to switch on)
          {replica: {replica: '1'}, store: storeOf(1), to: inp.spans[1]!.to},
        ],
      )
      assert.ok(inp.spans[1]!.to >= sec(r.endMs) - S)
      // the switch: replica 1 is held 2 intervals behind replica 0's last sample, so it takes
      // over at its first sample more than 2 intervals later
      assert.equal(inp.spans[1]!.from, sec(last0 + 3 * GAP_SCRAPE_MS))
      assert.deepEqual(inp.switches, [{at: sec(last0 + 3 * GAP_SCRAPE_MS), fromSpan: 0, toSpan: 1}])
      assert.deepEqual(inp.holes, [])
      assert.equal(inp.interval, S)
      assert.equal(inp.tolerance, 2.5 * S)
    }
  })

  it('a stretch neither replica has is a hole; the output switches where each outage starts and ends', async function () {
    const {body} = await explained('explain_hole_gauge')
    const r = range()
    const inp = body.explain!.series[0]!.inputs[0]!
    assertCovers(inp, r.startMs - 5 * MIN + 1, r.endMs)
    const last0 = grid(holeR0[0]).before
    const last1 = grid(holeR1[0]).before
    const back0 = grid(holeR0[1]).after
    assert.deepEqual(
      inp.spans.map((x) => [x.replica.replica, x.store, x.from, x.to]),
      [
        ['0', storeOf(2), inp.spans[0]!.from, sec(last0)],
        ['1', storeOf(3), sec(last0 + 3 * GAP_SCRAPE_MS), sec(last1)],
        ['0', storeOf(2), sec(back0), inp.spans[2]!.to],
      ],
    )
    assert.deepEqual(inp.holes, [{from: sec(last1), to: sec(back0)}])
    assert.deepEqual(inp.switches.map((x) => x.at), [sec(last0 + 3 * GAP_SCRAPE_MS), sec(back0)])
  })

  it('an aggregation lists the spans of its inputs: sum by (job) (rate(ha_gap_requests_total[5m]))', async function () {
    const {body} = await explained('sum by (job) (rate(ha_gap_requests_total[5m]))')
    assert.deepEqual(body.data.result.map((x) => x.metric), [{job: 'api'}, {job: 'web'}])
    const direct = (await explained('ha_gap_requests_total')).body.explain!
    for (const s of body.explain!.series) {
      assert.deepEqual(s.inputs.map((i) => i.metric), [{__name__: 'ha_gap_requests_total', cluster: 'us1', job: s.metric.job!}])
      const inp = s.inputs[0]!
      assert.equal(inp.selector, 'ha_gap_requests_total')
      assert.deepEqual(inp.spans.map((x) => x.replica.replica), ['0', '1'])
      // the same merge as the plain selector's, over the range selector's window
      const same = direct.series.find((d) => d.metric.job === s.metric.job)!.inputs[0]!
      assert.deepEqual(inp.switches, same.switches)
      assert.deepEqual(inp.spans.slice(1), same.spans.slice(1))
    }
  })

  it('answers without explain are byte-identical; explain only adds its member after data', async function () {
    const r = range()
    const cases: {expr: string; at: Parameters<typeof queryParams>[1]; extra?: ApiParams}[] = [
      {expr: 'ha_gap_requests_total', at: r},
      {expr: 'sum by (job) (rate(ha_gap_requests_total[5m]))', at: r},
      {expr: 'explain_hole_gauge', at: r, extra: {dedup: 'false'}},
      {expr: 'ha_gap_temperature', at: {timeMs: pair.gap[0] + 10 * MIN}},
      {expr: 'count by (cluster) ({__name__=~"ha_gap_.*|explain_.*"})', at: {timeMs: end - 30 * MIN}},
    ]
    for (const c of cases) {
      const plain = queryParams(c.expr, c.at, c.extra ?? {})
      const without = await apiPost(url, plain.path, plain.params)
      const off = await apiPost(url, plain.path, {...plain.params, explain: 'false'})
      const on = await apiPost(url, plain.path, {...plain.params, explain: 'true'})
      const alias = await apiPost(url, plain.path, {...plain.params, dedup_explain: '1'})
      assert.equal(without.code, 200, without.text)
      assert.equal(off.text, without.text, c.expr)
      assert.ok(!without.text.includes('"explain"'))
      const ex = (on.body as unknown as ExplainBody).explain
      assert.ok(ex, c.expr)
      assert.equal(on.text.replace(`,"explain":${JSON.stringify(ex)}`, ''), without.text, `${c.expr}: the data bytes are the same`)
      assert.equal(alias.text, on.text)
    }
    const bad = await apiPost(url, '/api/v1/query', {query: 'up', explain: 'maybe'})
    assert.equal(bad.code, 400)
  })

  it('the dashboard queries (replicas scraping at their own offsets) answer the same bytes with explain, and every result series is explained', async function () {
    for (const q of QUERIES) {
      const at = q.rangeMs === 0 ? {timeMs: end - INSTANT_OFFSET_MS} : {startMs: end - q.rangeMs, endMs: end, stepMs: q.stepMs}
      const plain = queryParams(q.expr, at)
      const without = await apiPost(url, plain.path, plain.params)
      const on = await apiPost(url, plain.path, {...plain.params, explain: 'true'})
      assert.equal(without.code, 200, without.text)
      const body = on.body as unknown as ExplainBody
      assert.equal(on.text.replace(`,"explain":${JSON.stringify(body.explain)}`, ''), without.text, q.id)
      assert.equal(body.explain!.series.length, body.data.result.length, q.id)
      for (const s of body.explain!.series) {
        assert.ok(s.inputs.length > 0, `${q.id}: ${JSON.stringify(s.metric)} has inputs`)
        for (const i of s.inputs) for (const sp of i.spans) assert.ok(sp.replica.replica === '0' || sp.replica.replica === '1', `${q.id}: spans name a replica`)
      }
    }
  })

  async function cli(args: string[]): Promise<string> {
    const r = await execFileP('node', [BIN, 'query-once', ...args], {env: {...process.env, NO_COLOR: '1'}, maxBuffer: 64 << 20})
    return r.stdout
  }

  it('query-once --explain prints the spans per series, holes marked, the same locally and over HTTP', async function () {
    const r = range()
    const q = ['explain_hole_gauge', '--start', String(r.startMs / 1000), '--end', String(r.endMs / 1000), '--step', '60', '--explain']
    const local = await cli([...q, ...stores.flatMap((s) => ['--store', s]), '--query.replica-label', 'replica'])
    const http = await cli([...q, '--query.url', url])
    assert.equal(local, http)
    const rows = local.split('\n').filter((l) => l.startsWith('│'))
    const cells = rows.map((l) => l.split('│').slice(1, -1).map((c) => c.trim()))
    const explainHead = cells.findIndex((c) => c.includes('replica') && c.includes('samples'))
    assert.ok(explainHead >= 0, local)
    const body = cells.slice(explainHead + 1)
    assert.deepEqual(body.map((c) => c[1]), [`{replica="0"} @ ${storeOf(2)}`, `{replica="1"} @ ${storeOf(3)}`, '(hole: no replica had data)', `{replica="0"} @ ${storeOf(2)}`])
    assert.equal(body[0]![0], 'explain_hole_gauge{cluster="eu1", room="b"}')
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
    assert.deepEqual(body[2]!.slice(2, 4), [iso(grid(holeR1[0]).before), iso(grid(holeR0[1]).after)])
    // JSON output: the API's explain member as is
    const json = JSON.parse(await cli([...q, '--query.url', url, '--output', 'json'])) as {data: unknown; explain: ApiExplain}
    const api = (await explained('explain_hole_gauge')).body
    assert.deepEqual(json, {data: api.data, explain: api.explain})
  })
})
