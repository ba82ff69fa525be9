/**
 * thanosts store and the real `thanos store` over one bucket: the benchmark's small data set
 * (promtool blocks, 25 h, node-exporter and HTTP series with classic histograms) shipped twice,
 * as replicas 0 and 1 of cluster us1 would have (replica 0 by the real `thanos tools bucket
 * upload-blocks`, replica 1 by our shipper's upload), plus broken blocks of a replica 2 (one
 * without meta.json, one with a truncated index) that neither may serve.
 * - Series over our StoreClient from both stores: the same label sets and decoded samples, for
 *   several matcher sets and time ranges; Info, LabelNames and LabelValues alike;
 * - a real `thanos query` over `thanosts store`, and `thanosts query` over the real `thanos
 *   store`, answer the dashboard queries as a Prometheus 3 holding the same blocks does;
 * - on S3 (SeaweedFS), `thanosts store` answers as over the filesystem;
 * - native histogram chunks (a Prometheus 3 snapshot of remote-written histograms) go out as
 *   the real store sends them: same encodings, same bytes.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {cp, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {compareResponses} from '../../bench/compare.js'
import {ensureDataset, SMOKE_DATASET, type DatasetMeta} from '../../bench/dataset.js'
import {INSTANT_OFFSET_MS, QUERIES} from '../../bench/queries.js'
import {labelsToString} from '../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../src/core/labels/matcher.js'
import {createLogger, nopLogger} from '../../src/core/log.js'
import type {Bucket} from '../../src/core/objstore/bucket.js'
import {bucketFromConfig} from '../../src/core/objstore/config.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import {StoreClient} from '../../src/core/storeapi/store-client.js'
import {runStoreGateway, type RunningStoreGateway, type StoreGatewayConfig} from '../../src/core/storegateway/store-gateway.js'
import type {LabelsQuery, SeriesQuery} from '../../src/core/storepb/store-types.js'
import {storeSamples, uploadBlocksDir} from '../helpers/bucket-blocks.js'
import {peer, startPeer, startThanosQuery, type PeerProcess, type ThanosQueryHandle} from '../helpers/peers.js'
import {freePort} from '../helpers/ports.js'
import {apiPost, queryParams} from '../helpers/prom-api.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {startSeaweedS3, type SeaweedS3} from '../helpers/s3.js'
import {remoteWriteHistograms} from '../helpers/native-histogram-remote-write.js'
import {nativeHistogramWriteSeries} from '../core/chunkenc/native-histogram-fixtures.js'
import {storeGatewayConfig} from '../helpers/store-gateway.js'

const execFileP = promisify(execFile)
const H = 3_600_000
const DROP = new Set(['cluster'])

function gatewayConfig(o: Partial<StoreGatewayConfig>): StoreGatewayConfig {
  return storeGatewayConfig({syncIntervalMs: 900_000, ...o})
}

/** Two stores' Series answers as comparable text: labels, then every decoded sample. */
async function seriesOf(client: StoreClient, q: SeriesQuery): Promise<{labels: string; samples: [number, number][]; chunks: string}[]> {
  const out: {labels: string; samples: [number, number][]; chunks: string}[] = []
  for await (const f of client.series(q, new AbortController().signal)) {
    if (!f.series) continue
    out.push({labels: labelsToString(f.series.labels), samples: storeSamples(f.series).map((s) => [s.t, s.v]), chunks: f.series.chunks.map((c) => `${c.encoding}@${c.minTime}-${c.maxTime}`).join(' ')})
  }
  return out
}

describe('interop: thanosts store and real thanos store over one bucket', function () {
  this.timeout(300_000)
  let data: DatasetMeta
  let work: string
  let bucketDir: string
  let replica2: string[]
  let ours: RunningStoreGateway | undefined
  let ourLog: string[]
  let theirs: PeerProcess | undefined
  let theirsAddr: string
  let theirsHttp: string
  let ourClient: StoreClient
  let theirClient: StoreClient
  let prom: PrometheusHandle | undefined
  let thanosOverOurs: ThanosQueryHandle | undefined
  let oursOverThanos: RunningQuerier | undefined

  before(async function () {
    this.timeout(300_000)
    data = await ensureDataset(path.resolve('.cache/bench'), SMOKE_DATASET)
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-interop-'))
    bucketDir = path.join(work, 'bucket')
    const bucket = bucketFromConfig(`type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`)
    // Replica 0 as Thanos itself uploads blocks (its shipper writes thanos.shipper.json next to them: a copy).
    const copy = path.join(work, 'replica0')
    await cp(data.blocksDir, copy, {recursive: true})
    await execFileP(peer('thanos').path, ['tools', 'bucket', 'upload-blocks', `--path=${copy}`, '--label=cluster="us1"', '--label=replica="0"', `--objstore.config=type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`, '--log.level=warn'])
    await uploadBlocksDir(bucket, data.blocksDir, {cluster: 'us1', replica: '1'}, {renew: true})
    // Replica 2's blocks are broken: the first lost its meta.json, every other one has its index cut.
    // The data set has two or three 24h blocks depending on the hour it was generated at (25 h
    // of data ending at a full hour), so break them all, not the first two.
    replica2 = await uploadBlocksDir(bucket, data.blocksDir, {cluster: 'us1', replica: '2'}, {renew: true})
    assert.ok(replica2.length >= 2, 'the data set has at least two blocks')
    await bucket.delete(`${replica2[0]}/meta.json`)
    for (const id of replica2.slice(1)) await bucket.upload(`${id}/index`, (await bucket.get(`${id}/index`)).subarray(0, 300))
    const yaml = path.join(work, 'bucket.yml')
    await writeFile(yaml, `type: FILESYSTEM\nconfig:\n  directory: ${bucketDir}\n`)

    ourLog = []
    const [tg, th] = [await freePort(), await freePort()]
    theirsAddr = `127.0.0.1:${tg}`
    theirsHttp = `http://127.0.0.1:${th}`
    ;[ours, theirs, prom] = await Promise.all([
      runStoreGateway(gatewayConfig({bucket, logger: createLogger({level: 'info', write: (l) => ourLog.push(l)})})),
      startPeer('thanos-store', peer('thanos').path, ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'thanos-data')}`, `--grpc-address=${theirsAddr}`, `--http-address=127.0.0.1:${th}`, '--log.level=warn'], `http://127.0.0.1:${th}/-/ready`),
      startPrometheus({version: 3, blocksFrom: data.blocksDir}),
    ])
    ourClient = new StoreClient(`127.0.0.1:${ours.grpcPort}`)
    theirClient = new StoreClient(theirsAddr)
    ;[thanosOverOurs, oursOverThanos] = await Promise.all([
      startThanosQuery({endpoints: [`127.0.0.1:${ours.grpcPort}`], replicaLabels: ['replica']}),
      (async () => {
        const q = await runQuerier(querierConfig([theirsAddr], nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
        const deadline = Date.now() + 30_000
        while (q.endpoints.storeRefs().length < 1) {
          if (Date.now() > deadline) throw new Error('thanosts query does not see the thanos store')
          await new Promise((r) => setTimeout(r, 100))
        }
        return q
      })(),
    ])
  })

  after(async function () {
    this.timeout(60_000)
    ourClient?.close()
    theirClient?.close()
    await thanosOverOurs?.stop()
    await oursOverThanos?.lifecycle.stop()
    await ours?.lifecycle.stop()
    await theirs?.stop()
    await prom?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('Info: the same component type, label sets and time range', async () => {
    const [a, b] = await Promise.all([ourClient.info({timeoutMs: 5000}), theirClient.info({timeoutMs: 5000})])
    assert.equal(a.componentType, 'store')
    assert.equal(a.componentType, b.componentType)
    const sets = (i: typeof a) => i.labelSets.map(labelsToString).sort()
    assert.deepEqual(sets(a), sets(b))
    assert.deepEqual(sets(a), ['{cluster="us1", replica="0"}', '{cluster="us1", replica="1"}'])
    assert.equal(a.store?.minTime, b.store?.minTime)
    assert.equal(a.store?.maxTime, b.store?.maxTime)
  })

  it('skips the broken blocks with warnings, as Thanos does, and serves the rest', () => {
    assert.ok(ourLog.some((l) => l.includes('level=warn') && l.includes(replica2[0]!) && l.includes('no meta.json')), 'warned about the block without meta.json')
    for (const id of replica2.slice(1)) assert.ok(ourLog.some((l) => l.includes('level=warn') && l.includes(id) && l.includes('loading block failed')), `warned about the truncated index of ${id}`)
    assert.ok(!ours!.store.blockIds().some((id) => replica2.includes(id)))
  })

  const m = (name: string, value: string, type = MatchType.EQ): Matcher => new Matcher(type, name, value)

  it('/api/v1/blocks?view=loaded lists the same metas, as Thanos marshals them', async () => {
    type Blocks = {status: string; data: {label: string; blocks: {ulid: string}[]; err: unknown}}
    const get = async (base: string, q: string): Promise<Blocks> => (await (await fetch(`${base}/api/v1/blocks${q}`)).json()) as Blocks
    const ourBase = `http://127.0.0.1:${ours!.httpPort}`
    const [a, b] = await Promise.all([get(ourBase, '?view=loaded'), get(theirsHttp, '?view=loaded')])
    const byId = (x: Blocks) => [...x.data.blocks].sort((p, q) => p.ulid.localeCompare(q.ulid))
    assert.equal(a.status, 'success')
    assert.equal(a.data.blocks.length, ours!.store.blockIds().length + replica2.length - 1, 'the truncated-index blocks are in the view (their metas are fine), as in Thanos')
    assert.deepEqual(byId(a), byId(b))
    assert.deepEqual({label: a.data.label, err: a.data.err}, {label: b.data.label, err: b.data.err})
    const [g1, g2] = await Promise.all([get(ourBase, ''), get(theirsHttp, '')])
    assert.deepEqual(g1.data.blocks, g2.data.blocks)
  })

  it('Series: equal label sets and samples for several matcher sets and time ranges', async () => {
    const end = data.endMs
    const ranges: [string, number, number][] = [
      ['everything', data.startMs - H, end + H],
      ['the last hour', end - H, end],
      ['across the block boundary', end - 26 * H, end - 22 * H],
      ['a few minutes', end - 3 * H, end - 3 * H + 5 * 60_000],
    ]
    const sets: [string, Matcher[], Partial<SeriesQuery>?][] = [
      ['one metric', [m('__name__', 'node_load1')]],
      ['regex and negation', [m('__name__', 'node_cpu_seconds_total'), m('mode', 'idle', MatchType.NEQ)]],
      ['histogram buckets of 5xx-free jobs', [m('__name__', 'http_request_duration_seconds_bucket'), m('le', '0.5|\\+Inf', MatchType.RE)]],
      ['external label matcher', [m('__name__', 'http_requests_total'), m('replica', '1'), m('code', '5..', MatchType.RE)]],
      ['negated external label', [m('__name__', 'node_load1'), m('replica', '0', MatchType.NEQ)]],
      ['cluster regex, every series of a job', [m('cluster', 'us.*', MatchType.RE), m('job', '.+', MatchType.RE), m('__name__', 'node_memory.*', MatchType.RE)]],
      ['without the replica label', [m('__name__', 'node_network_receive_bytes_total')], {withoutReplicaLabels: ['replica']}],
      ['skip chunks', [m('__name__', 'http_requests_total')], {skipChunks: true}],
      ['replica 2 (broken blocks only)', [m('replica', '2'), m('__name__', 'node_load1')]],
      ['external label matchers only', [m('cluster', 'us1'), m('replica', '.+', MatchType.RE)]],
      ['a series limit', [m('__name__', 'node_cpu_seconds_total')], {limit: 3}],
      ['batched responses', [m('__name__', 'http_request_duration_seconds_bucket')], {responseBatchSize: 64}],
      ['no such metric', [m('__name__', 'nope')]],
    ]
    let nonEmpty = 0
    for (const [rname, mint, maxt] of ranges) {
      for (const [sname, matchers, extra] of sets) {
        const q: SeriesQuery = {minTime: mint, maxTime: maxt, matchers, partialResponse: false, ...extra}
        const [a, b] = await Promise.all([seriesOf(ourClient, q), seriesOf(theirClient, q)])
        assert.deepEqual(a.map((s) => s.labels), b.map((s) => s.labels), `${sname}, ${rname}: label sets`)
        for (const [i, s] of a.entries()) {
          assert.deepEqual(s.samples, b[i]!.samples, `${sname}, ${rname}: samples of ${s.labels}`)
          assert.equal(s.chunks, b[i]!.chunks, `${sname}, ${rname}: chunks of ${s.labels}`)
        }
        if (a.length > 0) nonEmpty++
        if (sname.startsWith('replica 2') || sname.startsWith('no such') || sname.startsWith('external label matchers only')) assert.equal(a.length, 0, `${sname}: nothing`)
      }
    }
    assert.ok(nonEmpty >= 25, `most cases select data (${nonEmpty})`)
  })

  it('LabelNames and LabelValues: the same answers', async () => {
    const end = data.endMs
    const qs: LabelsQuery[] = [
      {start: data.startMs, end, matchers: [], partialResponse: false},
      {start: end - H, end, matchers: [m('__name__', 'http_requests_total')], partialResponse: false},
      {start: end - H, end, matchers: [m('replica', '1'), m('__name__', 'node_cpu_seconds_total')], partialResponse: false, withoutReplicaLabels: ['replica']},
      {start: data.startMs, end: data.startMs + H, matchers: [m('cluster', 'us1')], partialResponse: false},
      {start: data.startMs, end, matchers: [m('__name__', 'http_.*', MatchType.RE)], partialResponse: false, limit: 2},
    ]
    const signal = new AbortController().signal
    for (const q of qs) {
      const [a, b] = await Promise.all([ourClient.labelNames(q, signal), theirClient.labelNames(q, signal)])
      assert.deepEqual(a.names, b.names, `label names of ${q.matchers.join(',')}`)
      assert.ok(a.names.length > 0)
      for (const name of ['__name__', 'job', 'replica', 'cluster', 'mode', 'le']) {
        const [x, y] = await Promise.all([ourClient.labelValues(name, q, signal), theirClient.labelValues(name, q, signal)])
        assert.deepEqual(x.values, y.values, `values of ${name} under ${q.matchers.join(',')}`)
      }
    }
  })

  it('real thanos query over thanosts store, and thanosts query over real thanos store, answer as Prometheus', async () => {
    const end = data.endMs
    const failures: string[] = []
    const queriers = [
      {name: 'thanos query over thanosts store', url: thanosOverOurs!.url},
      {name: 'thanosts query over thanos store', url: `http://127.0.0.1:${oursOverThanos!.httpPort}`},
    ]
    for (const q of QUERIES) {
      const at = q.rangeMs === 0 ? {timeMs: end - INSTANT_OFFSET_MS} : {startMs: end - q.rangeMs, endMs: end, stepMs: q.stepMs}
      const {path: p, params} = queryParams(q.expr, at)
      const truth = await apiPost(prom!.url, p, params)
      assert.equal(truth.code, 200, truth.text)
      assert.ok(((truth.body.data?.result as unknown[]) ?? []).length > 0, `${q.id}: Prometheus has data`)
      for (const qr of queriers) {
        const got = await apiPost(qr.url, p, params)
        const diff = got.code === 200 ? compareResponses(truth.body, got.body, DROP) : `HTTP ${got.code}: ${got.text.slice(0, 200)}`
        if (diff) failures.push(`${qr.name}: ${q.id}: ${diff}`)
      }
    }
    assert.deepEqual(failures, [])
  })

  describe('on S3 (SeaweedFS)', function () {
    let s3: SeaweedS3 | undefined
    let s3Bucket: Bucket | undefined
    let onS3: RunningStoreGateway | undefined
    let s3Client: StoreClient | undefined

    before(async function () {
      this.timeout(180_000)
      s3 = await startSeaweedS3()
      s3Bucket = bucketFromConfig(s3.objstoreYaml())
      // Only replica 0, uploaded the same way: the other replica is in the filesystem bucket only.
      await uploadBlocksDir(s3Bucket, data.blocksDir, {cluster: 'us1', replica: '0'})
      onS3 = await runStoreGateway(gatewayConfig({objstoreConfig: s3.objstoreYaml()}))
      s3Client = new StoreClient(`127.0.0.1:${onS3.grpcPort}`)
    })

    after(async function () {
      s3Client?.close()
      await onS3?.lifecycle.stop()
      await s3Bucket?.close()
      await s3?.stop()
    })

    it('serves the blocks from S3 as the filesystem store does', async () => {
      const end = data.endMs
      for (const [mint, maxt] of [
        [data.startMs, end],
        [end - 2 * H, end - H],
      ] as const) {
        const q: SeriesQuery = {minTime: mint, maxTime: maxt, matchers: [m('__name__', 'node_cpu_seconds_total|http_requests_total', MatchType.RE), m('replica', '0')], partialResponse: false}
        const [a, b] = await Promise.all([seriesOf(s3Client!, q), seriesOf(ourClient, q)])
        assert.ok(a.length > 0)
        assert.deepEqual(a, b)
      }
      const info = await s3Client!.info({timeoutMs: 5000})
      assert.deepEqual(info.labelSets.map(labelsToString), ['{cluster="us1", replica="0"}'])
    })
  })

  describe('native histograms (a Prometheus 3 snapshot)', function () {
    const H2 = 2 * H
    // All in the past, crossing a 2h boundary, as the chunkenc tests' data.
    const boundary = Math.floor((Date.now() - 50 * 60_000) / H2) * H2
    const t0 = boundary - 55 * 60_000
    const end = t0 + 120 * 60_000
    let hprom: PrometheusHandle | undefined
    let hours: RunningStoreGateway | undefined
    let htheirs: PeerProcess | undefined
    let a: StoreClient | undefined
    let b: StoreClient | undefined

    before(async function () {
      this.timeout(180_000)
      hprom = await startPrometheus({version: 3, extraArgs: ['--web.enable-remote-write-receiver', '--web.enable-admin-api']})
      await remoteWriteHistograms(hprom.url, nativeHistogramWriteSeries(t0))
      const r = await fetch(`${hprom.url}/api/v1/admin/tsdb/snapshot`, {method: 'POST'})
      const snap = ((await r.json()) as {data: {name: string}}).data.name
      const hdir = path.join(work, 'hbucket')
      const hb = bucketFromConfig(`type: FILESYSTEM\nconfig:\n  directory: ${hdir}\n`)
      const ids = await uploadBlocksDir(hb, path.join(hprom.dir, 'data', 'snapshots', snap), {cluster: 'nh', replica: '0'})
      assert.ok(ids.length > 0, 'the snapshot holds blocks')
      const yaml = path.join(work, 'hbucket.yml')
      await writeFile(yaml, `type: FILESYSTEM\nconfig:\n  directory: ${hdir}\n`)
      const [g, h] = [await freePort(), await freePort()]
      ;[hours, htheirs] = await Promise.all([
        runStoreGateway(gatewayConfig({bucket: hb})),
        startPeer('thanos-store-nh', peer('thanos').path, ['store', `--objstore.config-file=${yaml}`, `--data-dir=${path.join(work, 'thanos-nh')}`, `--grpc-address=127.0.0.1:${g}`, `--http-address=127.0.0.1:${h}`, '--log.level=warn'], `http://127.0.0.1:${h}/-/ready`),
      ])
      a = new StoreClient(`127.0.0.1:${hours.grpcPort}`)
      b = new StoreClient(`127.0.0.1:${g}`)
    })

    after(async function () {
      a?.close()
      b?.close()
      await hours?.lifecycle.stop()
      await htheirs?.stop()
      await hprom?.stop()
    })

    it('Series: the same histogram and float histogram chunks, byte for byte', async () => {
      const raw = async (c: StoreClient, mint: number, maxt: number) => {
        const out: string[] = []
        for await (const f of c.series({minTime: mint, maxTime: maxt, matchers: [m('job', 'nh')], partialResponse: false}, new AbortController().signal)) {
          if (!f.series) continue
          out.push(labelsToString(f.series.labels) + ' ' + f.series.chunks.map((ch) => `${ch.encoding}@${ch.minTime}-${ch.maxTime}:${Buffer.from(ch.data).toString('base64')}`).join(' '))
        }
        return out
      }
      for (const [mint, maxt] of [
        [t0 - 1, end],
        [boundary - 10 * 60_000, boundary + 10 * 60_000],
      ] as const) {
        const [x, y] = await Promise.all([raw(a!, mint, maxt), raw(b!, mint, maxt)])
        assert.ok(x.length > 0)
        assert.deepEqual(x, y)
      }
      const all = (await raw(a!, t0 - 1, end)).join(' ')
      assert.match(all, / 1@/, 'histogram chunks (StoreAPI HISTOGRAM = 1)')
      assert.match(all, / 2@/, 'float histogram chunks (FLOAT_HISTOGRAM = 2)')
    })
  })
})
