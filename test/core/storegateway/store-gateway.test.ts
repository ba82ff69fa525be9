/**
 * The store gateway process (runStoreGateway) over a FILESYSTEM bucket of promtool blocks: probes
 * and metrics, the periodic resync seen through Info, the Series concurrency gate, bad requests at
 * the gRPC edge, and an initial sync that cannot reach its bucket.
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {status} from '@grpc/grpc-js'
import {Registry} from 'prom-client'
import {CanceledError} from '../../../src/core/errors.js'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {SeriesGate} from '../../../src/core/storegateway/series-gate.js'
import {runStoreGateway, type RunningStoreGateway, type StoreGatewayConfig} from '../../../src/core/storegateway/store-gateway.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples} from '../../helpers/openmetrics.js'
import {freePort} from '../../helpers/ports.js'
import {RawGrpcClient, upstreamEncode} from '../../helpers/upstream-protos.js'
import {storeGatewayConfig} from '../../helpers/store-gateway.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1, 12)

function config(o: Partial<StoreGatewayConfig>): StoreGatewayConfig {
  return storeGatewayConfig({grpcGracePeriodMs: 200, httpGracePeriodMs: 200, syncIntervalMs: 200, blockSyncConcurrency: 2, blockMetaFetchConcurrency: 4, ...o})
}

const up = (job: string, start: number) => ({metric: 'up', labels: {job}, samples: samples(start, 60_000, 60, (i) => i)})

async function until<T>(f: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('store gateway process', function () {
  this.timeout(120_000)
  let dir: string
  let bucket: FilesystemBucket
  let gw: RunningStoreGateway
  let client: StoreClient

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-proc-'))
    bucket = new FilesystemBucket({directory: dir})
    await uploadBackfilled(bucket, {series: [up('a', T0)], ext: {cluster: 'one'}})
    gw = await runStoreGateway(config({bucket, seriesMaxConcurrency: 1}))
    client = new StoreClient(`127.0.0.1:${gw.grpcPort}`)
  })

  after(async () => {
    client?.close()
    await gw?.lifecycle.stop()
    await rm(dir, {recursive: true, force: true})
  })

  it('is healthy and ready after the initial sync, with Thanos metric names', async () => {
    const base = `http://127.0.0.1:${gw.httpPort}`
    assert.equal((await fetch(`${base}/-/healthy`)).status, 200)
    assert.equal((await fetch(`${base}/-/ready`)).status, 200)
    const text = await (await fetch(`${base}/metrics`)).text()
    for (const re of [/^thanos_bucket_store_blocks_loaded 1$/m, /^thanos_blocks_meta_syncs_total \d+$/m, /^thanos_bucket_store_series_gate_queries_max 1$/m, /^thanos_blocks_meta_synced\{state="no-meta-json"\} 0$/m]) assert.match(text, re)
  })

  it('resyncs periodically: a new block shows in Info, a deleted one goes', async () => {
    const sets = async () => (await client.info({timeoutMs: 5000})).labelSets.map(labelsToString).sort()
    assert.deepEqual(await sets(), ['{cluster="one"}'])
    const ids = await uploadBackfilled(bucket, {series: [up('b', T0 + 4 * HOUR)], ext: {cluster: 'two'}})
    await until(async () => ((await sets()).length === 2 ? true : undefined), 'the new block')
    assert.deepEqual(await sets(), ['{cluster="one"}', '{cluster="two"}'])
    assert.equal((await client.info({timeoutMs: 5000})).store?.maxTime, T0 + 4 * HOUR + 59 * 60_000 + 1)
    for (const id of ids) await rm(path.join(dir, id), {recursive: true})
    await until(async () => ((await sets()).length === 1 ? true : undefined), 'the block to be dropped')
  })

  it('bad requests: an invalid regex is INVALID_ARGUMENT, an empty label name too; the store keeps serving', async () => {
    const signal = new AbortController().signal
    const raw = new RawGrpcClient(`127.0.0.1:${gw.grpcPort}`)
    try {
      const req = upstreamEncode('thanos.SeriesRequest', {min_time: String(T0), max_time: String(T0 + HOUR), matchers: [{type: 'RE', name: 'job', value: '(unclosed'}]})
      await assert.rejects(raw.stream('/thanos.Store/Series', req), (e: {code?: number; details?: string}) => e.code === status.INVALID_ARGUMENT && /unclosed|missing/.test(e.details ?? ''))
    } finally {
      raw.close()
    }
    await assert.rejects(client.labelValues('', {start: T0, end: T0 + HOUR, matchers: [], partialResponse: false}, signal), (e: unknown) => e instanceof Error && /label name/.test(e.message) && (e as {kind?: string}).kind === 'bad_data')
    const got = []
    for await (const f of client.series({minTime: T0, maxTime: T0 + HOUR, matchers: [new Matcher(MatchType.EQ, '__name__', 'up')], partialResponse: false}, signal)) if (f.series) got.push(f.series)
    assert.equal(got.length, 1)
  })

  it('an initial sync that cannot reach the bucket is retried, then fails the start (no ports left open)', async () => {
    const port = await freePort()
    const yaml = `type: S3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:${port}\n  access_key: k\n  secret_key: s\n  insecure: true\n  max_retries: 0\n`
    const httpPort = await freePort()
    await assert.rejects(runStoreGateway(config({objstoreConfig: yaml, httpAddress: `127.0.0.1:${httpPort}`, initialSyncRetryMs: 100, initialSyncTimeoutMs: 1000})), /bucket store initial sync/)
    await assert.rejects(fetch(`http://127.0.0.1:${httpPort}/-/healthy`))
  })
})

describe('series gate', () => {
  it('lets N calls in, queues the rest in order, and drops a waiter whose client went away', async () => {
    const gate = new SeriesGate(1, new Registry())
    const leaveA = await gate.enter(new AbortController().signal)
    const order: string[] = []
    const b = gate.enter(new AbortController().signal).then((leave) => (order.push('b'), leave))
    const gone = new AbortController()
    const c = gate.enter(gone.signal)
    const d = gate.enter(new AbortController().signal).then((leave) => (order.push('d'), leave))
    gone.abort()
    await assert.rejects(c, (e: unknown) => e instanceof CanceledError)
    // Nothing passes while A holds the only slot.
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(order, [])
    leaveA()
    const leaveB = await b
    assert.deepEqual(order, ['b'])
    leaveB()
    ;(await d)()
    assert.deepEqual(order, ['b', 'd'])
  })
})
