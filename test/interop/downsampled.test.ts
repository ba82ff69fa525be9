/**
 * Reading downsampled data: a bucket with a 44 h raw block of each of two replicas (promtool;
 * replica 1 misses 3 h), so the real compactor downsamples them, their 5m blocks made by the
 * real `thanos tools bucket downsample`, and a later 2 h raw block of replica 0 that is not
 * downsampled (a gap the store fills with raw data). Queriers deduplicate on `replica`. Served by
 * `thanosts store` and by the real `thanos store`:
 * - Series with max_resolution_window and each set of aggregates the querier asks for: the same
 *   series and the same chunks (times, and the bytes of every raw chunk and aggregate sent);
 * - `thanosts query` over our store and the real `thanos query` over the real store answer
 *   avg_over_time, rate, max_over_time, count_over_time with max_source_resolution=5m alike,
 *   and within the 5m windows' error of the raw answers (count_over_time counts windows, as
 *   Thanos: one sample per 5 minutes).
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {compareResponses, type ApiSeries} from '../../bench/compare.js'
import {labelsToString} from '../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../src/core/labels/matcher.js'
import {nopLogger} from '../../src/core/log.js'
import {bucketFromConfig} from '../../src/core/objstore/config.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import {StoreClient} from '../../src/core/storeapi/store-client.js'
import {runStoreGateway, type RunningStoreGateway} from '../../src/core/storegateway/store-gateway.js'
import {Aggr, type SeriesQuery, type StoreChunk} from '../../src/core/storepb/store-types.js'
import {uploadBlocksDir} from '../helpers/bucket-blocks.js'
import {samples as everyStep, toOpenMetrics, type SeriesSpec} from '../helpers/openmetrics.js'
import {peer, startPeer, startThanosQuery, type PeerProcess, type ThanosQueryHandle} from '../helpers/peers.js'
import {freePort} from '../helpers/ports.js'
import {apiPost, queryParams} from '../helpers/prom-api.js'
import {PROMTOOL_BIN} from '../helpers/prometheus.js'
import {storeGatewayConfig} from '../helpers/store-gateway.js'

const execFileP = promisify(execFile)
const H = 3_600_000
const SCRAPE = 30_000
/** promtool's block ranges are 2h·3^n: with a 54h maximum, 44 h of data aligned to 54 h make one block. */
const BLOCK = 54 * H

/** The test data: two counters with resets and two gauges, over [from, to) every 30 s, without the samples in `gap`. */
function dataset(from: number, to: number, gap: [number, number] = [0, 0]): SeriesSpec[] {
  const n = Math.floor((to - from) / SCRAPE)
  const samples = (start: number, step: number, count: number, value: (i: number, t: number) => number) => everyStep(start, step, count, (i, t) => (t >= gap[0] && t < gap[1] ? undefined : value(i, t)))
  const counter = (pod: string, rate: number): SeriesSpec => ({
    metric: 'req',
    type: 'counter',
    labels: {pod},
    // a reset every 7 h (the value restarts from the increase since)
    samples: samples(from, SCRAPE, n, (_, t) => (((t - from) % (7 * H)) / 1000) * rate),
  })
  const gauge = (pod: string, base: number): SeriesSpec => ({
    metric: 'temp',
    type: 'gauge',
    labels: {pod},
    samples: samples(from, SCRAPE, n, (_, t) => base + 10 * Math.sin((t / H) * 0.7) + ((t / SCRAPE) % 3)),
  })
  return [counter('a', 2), counter('b', 0.5), gauge('a', 40), gauge('b', -5)]
}

async function promtoolBlocks(series: SeriesSpec[], dir: string): Promise<string> {
  const om = path.join(dir, 'in.om')
  await writeFile(om, toOpenMetrics(series))
  const out = path.join(dir, 'blocks')
  await execFileP(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', `--max-block-duration=${BLOCK / H}h`, '--quiet', om, out], {maxBuffer: 16 << 20})
  return out
}

/** A chunk as comparable text: times, and the encoding and bytes of the raw chunk or each aggregate sent. */
function chunkText(c: StoreChunk): string {
  const b = (d: Uint8Array) => Buffer.from(d).toString('base64')
  if (c.aggrs === undefined) return `${c.minTime}-${c.maxTime} raw ${c.encoding}:${b(c.data)}`
  return `${c.minTime}-${c.maxTime} ${c.aggrs.map((a, i) => (a ? `${['count', 'sum', 'min', 'max', 'counter'][i]} ${a.encoding}:${b(a.data)}` : '-')).join(' ')}`
}

async function seriesOf(client: StoreClient, q: SeriesQuery): Promise<{labels: string; chunks: string[]}[]> {
  const out: {labels: string; chunks: string[]}[] = []
  for await (const f of client.series(q, new AbortController().signal)) {
    if (f.series) out.push({labels: labelsToString(f.series.labels), chunks: f.series.chunks.map(chunkText)})
  }
  return out
}

function points(s: ApiSeries): [number, number][] {
  return (s.values ?? []).map(([t, v]) => [t, Number(v)])
}

describe('interop: downsampled blocks through thanosts store and query, as the real thanos store and query', function () {
  this.timeout(300_000)
  let work: string
  let from: number
  let ours: RunningStoreGateway | undefined
  let theirs: PeerProcess | undefined
  let theirsAddr: string
  let ourClient: StoreClient
  let theirClient: StoreClient
  let ourQuery: RunningQuerier | undefined
  let theirQuery: ThanosQueryHandle | undefined
  /** The cross pairs: thanosts query over the real store, the real query over ours. */
  let ourQueryOverTheirs: RunningQuerier | undefined
  let theirQueryOverOurs: ThanosQueryHandle | undefined
  let ids: {raw: string; late: string; down: string}

  before(async function () {
    this.timeout(300_000)
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-downsampled-'))
    const bucketDir = path.join(work, 'bucket')
    const config = `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`
    const bucket = bucketFromConfig(config)
    from = Math.floor((Date.now() - BLOCK) / BLOCK) * BLOCK
    await writeFile(path.join(work, 'bucket.yml'), config)
    // 44 h in one block (>= 40 h: the compactor downsamples it), then 2 h after a 4 h gap.
    const long = await promtoolBlocks(dataset(from, from + 44 * H), await mkdtemp(path.join(work, 'long-')))
    const long1 = await promtoolBlocks(dataset(from, from + 44 * H, [from + 20 * H, from + 23 * H]), await mkdtemp(path.join(work, 'long1-')))
    const late = await promtoolBlocks(dataset(from + 48 * H, from + 50 * H), await mkdtemp(path.join(work, 'late-')))
    const [raw] = await uploadBlocksDir(bucket, long, {cluster: 'eu1', replica: '0'})
    const [raw1] = await uploadBlocksDir(bucket, long1, {cluster: 'eu1', replica: '1'})
    const [lateId] = await uploadBlocksDir(bucket, late, {cluster: 'eu1', replica: '0'})
    assert.ok(raw && raw1 && lateId)
    // The real downsampler (it loops; stopped once the 5m block is in the bucket).
    const dsHttp = await freePort()
    const ds = await startPeer('thanos-downsample', peer('thanos').path, ['tools', 'bucket', 'downsample', `--objstore.config-file=${path.join(work, 'bucket.yml')}`, `--data-dir=${path.join(work, 'ds')}`, `--http-address=127.0.0.1:${dsHttp}`, '--log.level=warn'], `http://127.0.0.1:${dsHttp}/-/ready`)
    const downs: string[] = []
    try {
      const deadline = Date.now() + 120_000
      while (downs.length < 2) {
        downs.length = 0
        for (const id of await readdir(bucketDir)) {
          const meta = await readFile(path.join(bucketDir, id, 'meta.json'), 'utf8').catch(() => '')
          if (meta && (JSON.parse(meta) as {thanos: {downsample: {resolution: number}}}).thanos.downsample.resolution === 300_000) downs.push(id)
        }
        if (Date.now() > deadline) throw new Error(`not two 5m blocks after 120 s: ${ds.output().slice(-2000)}`)
        if (downs.length < 2) await new Promise((r) => setTimeout(r, 500))
      }
    } finally {
      await ds.stop()
    }
    const down = downs[0]!
    ids = {raw, late: lateId, down}

    const th = await freePort()
    theirsAddr = `127.0.0.1:${await freePort()}`
    ;[ours, theirs] = await Promise.all([
      runStoreGateway(storeGatewayConfig({bucket})),
      startPeer('thanos-store', peer('thanos').path, ['store', `--objstore.config-file=${path.join(work, 'bucket.yml')}`, `--data-dir=${path.join(work, 'thanos-data')}`, `--grpc-address=${theirsAddr}`, `--http-address=127.0.0.1:${th}`, '--log.level=warn'], `http://127.0.0.1:${th}/-/ready`),
    ])
    ourClient = new StoreClient(`127.0.0.1:${ours.grpcPort}`)
    theirClient = new StoreClient(theirsAddr)
    const ourQuerier = async (store: string): Promise<RunningQuerier> => {
      const q = await runQuerier(querierConfig([store], nopLogger, {replicaLabels: ['replica'], infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
      const deadline = Date.now() + 30_000
      while (q.endpoints.storeRefs().length < 1) {
        if (Date.now() > deadline) throw new Error(`thanosts query does not see ${store}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      return q
    }
    ;[theirQuery, ourQuery, theirQueryOverOurs, ourQueryOverTheirs] = await Promise.all([
      startThanosQuery({endpoints: [theirsAddr], replicaLabels: ['replica']}),
      ourQuerier(`127.0.0.1:${ours.grpcPort}`),
      startThanosQuery({endpoints: [`127.0.0.1:${ours.grpcPort}`], replicaLabels: ['replica']}),
      ourQuerier(theirsAddr),
    ])
  })

  after(async function () {
    this.timeout(60_000)
    ourClient?.close()
    theirClient?.close()
    await theirQuery?.stop()
    await theirQueryOverOurs?.stop()
    await ourQuery?.lifecycle.stop()
    await ourQueryOverTheirs?.lifecycle.stop()
    await ours?.lifecycle.stop()
    await theirs?.stop()
    if (work && !process.env.KEEP_WORK) await rm(work, {recursive: true, force: true})
  })

  const all = [new Matcher(MatchType.RE, '__name__', 'req_total|temp')]

  it('Series: the same chunks as the real store for every aggregate set and resolution window', async () => {
    const cases: {window: number; aggregates: Aggr[]; mint: number; maxt: number}[] = []
    for (const aggregates of [[Aggr.COUNT, Aggr.SUM], [Aggr.MIN], [Aggr.MAX], [Aggr.COUNT], [Aggr.SUM], [Aggr.COUNTER], [Aggr.RAW], []]) {
      cases.push({window: 300_000, aggregates, mint: from, maxt: from + 50 * H})
    }
    // raw only; a window between the resolutions; one inside the 5m block; one only in the gap-filling raw block
    cases.push({window: 0, aggregates: [Aggr.COUNT, Aggr.SUM], mint: from, maxt: from + 50 * H})
    cases.push({window: 299_999, aggregates: [Aggr.MAX], mint: from, maxt: from + 50 * H})
    cases.push({window: 3_600_000, aggregates: [Aggr.COUNTER], mint: from + 10 * H, maxt: from + 12 * H})
    cases.push({window: 300_000, aggregates: [Aggr.MIN], mint: from + 48 * H, maxt: from + 49 * H})
    for (const c of cases) {
      const q: SeriesQuery = {minTime: c.mint, maxTime: c.maxt, matchers: all, partialResponse: false, maxResolutionWindow: c.window, aggregates: c.aggregates}
      const [a, b] = await Promise.all([seriesOf(ourClient, q), seriesOf(theirClient, q)])
      assert.ok(a.length >= 4, `series for ${JSON.stringify(c)}`)
      assert.deepEqual(a, b, `window ${c.window}, aggregates ${c.aggregates.join(',')}, [${c.mint}, ${c.maxt}]`)
    }
  })

  it('Series: 5m data where the 5m block is, raw data from the finer block filling the gap after it', async () => {
    const q: SeriesQuery = {minTime: from, maxTime: from + 50 * H, matchers: [new Matcher(MatchType.EQ, '__name__', 'temp'), new Matcher(MatchType.EQ, 'pod', 'a')], partialResponse: false, maxResolutionWindow: 300_000, aggregates: [Aggr.COUNT, Aggr.SUM]}
    const chunks: StoreChunk[] = []
    for await (const f of ourClient.series(q, new AbortController().signal)) if (f.series) chunks.push(...f.series.chunks)
    const aggr = chunks.filter((c) => c.aggrs !== undefined)
    const raw = chunks.filter((c) => c.aggrs === undefined)
    assert.ok(aggr.length > 0 && raw.length > 0, `${aggr.length} aggregate and ${raw.length} raw chunks`)
    assert.ok(aggr.every((c) => c.maxTime < from + 44 * H && c.aggrs![0] && c.aggrs![1] && !c.aggrs![2] && !c.aggrs![3] && !c.aggrs![4]), 'count and sum only, from the 5m block')
    assert.ok(raw.every((c) => c.minTime >= from + 48 * H), 'raw chunks only from the late block')
    // 5m windows end at t - t % 5m + 5m - 1 (downsample.go)
    assert.ok(ids.down !== ids.raw)
  })

  describe('PromQL over 5m data', () => {
    const queries = ['avg_over_time(temp[1h])', 'rate(req_total[1h])', 'max_over_time(temp[1h])', 'count_over_time(temp[1h])', 'min_over_time(temp[2h])', 'sum_over_time(temp[1h])', 'increase(req_total[2h])', 'temp']
    const range = () => ({startMs: from + 2 * H, endMs: from + 50 * H, stepMs: H / 2})

    for (const [expr, extra] of [...queries.map((q) => [q, {}] as const), ['rate(req_total[1h])', {dedup: 'false'}] as const, ['avg_over_time(temp[1h])', {dedup: 'false'}] as const]) {
      it(`${expr} ${JSON.stringify(extra)}: thanosts query over thanosts store = thanos query over thanos store`, async () => {
        const {path: p, params} = queryParams(expr, range(), {max_source_resolution: '5m', ...extra})
        const [want, got] = await Promise.all([apiPost(theirQuery!.url, p, params), apiPost(`http://127.0.0.1:${ourQuery!.httpPort}`, p, params)])
        assert.equal(want.code, 200, want.text.slice(0, 300))
        assert.ok(((want.body.data?.result as unknown[]) ?? []).length > 0, 'thanos has data')
        assert.equal(compareResponses(want.body, got.body, new Set()), undefined)
      })
    }

    it('the cross pairs (thanosts query over thanos store, thanos query over thanosts store) answer alike', async () => {
      const failures: string[] = []
      for (const expr of queries) {
        const {path: p, params} = queryParams(expr, range(), {max_source_resolution: '5m'})
        const want = await apiPost(theirQuery!.url, p, params)
        for (const [name, url] of [['thanosts query over thanos store', `http://127.0.0.1:${ourQueryOverTheirs!.httpPort}`], ['thanos query over thanosts store', theirQueryOverOurs!.url]] as const) {
          const diff = compareResponses(want.body, (await apiPost(url, p, params)).body, new Set())
          if (diff) failures.push(`${name}: ${expr}: ${diff}`)
        }
      }
      assert.deepEqual(failures, [])
    })

    it('instant queries with max_source_resolution=5m and =auto (range queries: step / 5)', async () => {
      for (const extra of [{max_source_resolution: '5m'}, {max_source_resolution: '300'}, {max_source_resolution: 'auto'}]) {
        for (const expr of ['avg_over_time(temp[3h])', 'rate(req_total[1h])']) {
          const {path: p, params} = queryParams(expr, {timeMs: from + 20 * H}, extra)
          const [want, got] = await Promise.all([apiPost(theirQuery!.url, p, params), apiPost(`http://127.0.0.1:${ourQuery!.httpPort}`, p, params)])
          assert.equal(compareResponses(want.body, got.body, new Set()), undefined, `${expr} ${JSON.stringify(extra)}`)
        }
      }
      const {path: p, params} = queryParams('max_over_time(temp[1h])', {startMs: from + 2 * H, endMs: from + 40 * H, stepMs: 2 * H}, {max_source_resolution: 'auto'})
      const [want, got] = await Promise.all([apiPost(theirQuery!.url, p, params), apiPost(`http://127.0.0.1:${ourQuery!.httpPort}`, p, params)])
      assert.equal(compareResponses(want.body, got.body, new Set()), undefined)
    })

    it('explain: the spans of downsampled series name the store and replica their chunks came from', async () => {
      for (const expr of ['rate(req_total{pod="a"}[1h])', 'avg_over_time(temp{pod="a"}[1h])']) {
        const {path: p, params} = queryParams(expr, range(), {max_source_resolution: '5m', explain: 'true'})
        const a = await apiPost(`http://127.0.0.1:${ourQuery!.httpPort}`, p, params)
        const ex = (a.body as unknown as {explain?: {series: {inputs: {spans: {store: string; replica: Record<string, string>}[]}[]}[]}}).explain
        assert.ok(ex && ex.series.length === 1, `${expr}: ${a.text.slice(0, 300)}`)
        const spans = ex.series[0]!.inputs.flatMap((i) => i.spans)
        assert.ok(spans.length > 0)
        for (const sp of spans) {
          assert.equal(sp.store, `127.0.0.1:${ours!.grpcPort}`, `${expr}: ${JSON.stringify(sp)}`)
          assert.ok(sp.replica.replica === '0' || sp.replica.replica === '1', `${expr}: ${JSON.stringify(sp)}`)
        }
      }
    })

    it('--query.auto-downsampling: range queries without max_source_resolution read step / 5', async () => {
      const auto = await runQuerier(querierConfig([`127.0.0.1:${ours!.grpcPort}`], nopLogger, {replicaLabels: ['replica'], autoDownsampling: true, infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
      try {
        const deadline = Date.now() + 30_000
        while (auto.endpoints.storeRefs().length < 1) {
          if (Date.now() > deadline) throw new Error('thanosts query does not see thanosts store')
          await new Promise((r) => setTimeout(r, 100))
        }
        const r = {startMs: from + 2 * H, endMs: from + 40 * H, stepMs: 25 * 60_000}
        const {path: p, params} = queryParams('max_over_time(temp[1h])', r)
        // step 25m: step / 5 = 5m
        const [want, raw, got] = await Promise.all([apiPost(theirQuery!.url, p, {...params, max_source_resolution: '5m'}), apiPost(theirQuery!.url, p, params), apiPost(`http://127.0.0.1:${auto.httpPort}`, p, params)])
        assert.equal(compareResponses(want.body, got.body, new Set()), undefined)
        assert.notEqual(compareResponses(raw.body, got.body, new Set()), undefined, 'not the raw answer')
      } finally {
        await auto.lifecycle.stop()
      }
    })

    it('within the 5m windows\' error of the raw answers', async () => {
      const url = `http://127.0.0.1:${ourQuery!.httpPort}`
      const r = {startMs: from + 2 * H, endMs: from + 43 * H, stepMs: H}
      const answer = async (expr: string, res: string) => {
        // one replica: the dedup's switches at replica 1's gap fall on other samples at 5m than raw
        const {path: p, params} = queryParams(expr, r, {max_source_resolution: res, dedup: 'false'})
        const a = await apiPost(url, p, params)
        assert.equal(a.code, 200, a.text.slice(0, 300))
        return new Map((a.body.data!.result as ApiSeries[]).map((s) => [JSON.stringify(s.metric), points(s)]))
      }
      // expr, tolerance relative to the raw value (at least to `floor`: the gauges swing by ±10 around 0), raw-to-5m ratio
      const checks: [string, number, number, number][] = [
        ['avg_over_time(temp{replica="0"}[1h])', 0.05, 10, 1],
        ['max_over_time(temp{replica="0"}[1h])', 0.05, 10, 1],
        ['rate(req_total{replica="0"}[1h])', 0.05, 0, 1],
        // one sample per 5m window instead of ten raw ones
        ['count_over_time(temp{replica="0"}[1h])', 0.1, 0, 10],
      ]
      for (const [expr, tol, floor, ratio] of checks) {
        const [raw, down] = await Promise.all([answer(expr, '0s'), answer(expr, '5m')])
        assert.equal(down.size, raw.size, expr)
        let compared = 0
        for (const [k, rp] of raw) {
          const dp = down.get(k)
          assert.ok(dp, `${expr}: ${k} at 5m`)
          const dm = new Map(dp)
          for (const [t, v] of rp) {
            const d = dm.get(t)
            if (d === undefined) continue
            const scale = Math.max(Math.abs(v / ratio), floor)
            assert.ok(Math.abs(d - v / ratio) <= tol * scale, `${expr} ${k} at ${t}: 5m ${d}, raw ${v}`)
            compared++
          }
        }
        assert.ok(compared >= 2 * 30, `${expr}: ${compared} points compared`)
      }
    })
  })
})
