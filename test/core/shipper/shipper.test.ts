/**
 * The shipper over the data directory of a running Prometheus (Debian's 2.42 and the peers'
 * 3.x), with blocks backfilled by promtool and blocks Prometheus cut from its own head, into a
 * FILESYSTEM bucket and into S3 on a real SeaweedFS.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readdir, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Registry} from 'prom-client'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {nopLogger} from '../../../src/core/log.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {runShipper, Shipper, type ShipperOptions} from '../../../src/core/shipper/shipper.js'
import {startHoldProxy, type HoldProxy} from '../../helpers/hold-proxy.js'
import {startThanosSidecar} from '../../helpers/peers.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {seaweedOutage} from '../../helpers/seaweed-restart.js'
import {
  assertShipped,
  completeBlocks,
  expectedUploadOrder,
  localMetas,
  metricValue,
  pollFor,
  RecordingBucket,
  shipperFileText,
  startShipperPrometheus,
  type RawMeta,
  type ShipperPrometheus,
} from './fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}

function newShipper(bucket: Bucket, dir: string, registry: Registry, extra: Partial<ShipperOptions> = {}): Shipper {
  return new Shipper({bucket, dir, labels: () => labelsFromRecord(LABELS), source: 'sidecar', logger: nopLogger, registry, ...extra})
}

async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `thanosts-shipper-${name}-`))
}

for (const version of [2, 3] as const) {
  describe(`shipper over a running Prometheus ${version === 2 ? '2.42' : '3'}, FILESYSTEM bucket`, function () {
    this.timeout(120_000)
    let p: ShipperPrometheus
    let bucketDir: string
    let bucket: RecordingBucket
    let registry: Registry
    let shipper: Shipper
    let blocks: RawMeta[]

    before(async () => {
      p = await startShipperPrometheus(version, LABELS)
      bucketDir = await tempDir('bucket')
      bucket = new RecordingBucket(new FilesystemBucket({directory: bucketDir}))
      registry = new Registry()
      shipper = newShipper(bucket, p.dataDir, registry)
      blocks = [...p.backfilled, ...p.cut].sort((a, b) => a.minTime - b.minTime)
    })

    after(async () => {
      await p?.prom.stop()
      if (bucketDir) await rm(bucketDir, {recursive: true, force: true})
    })

    it('uploads every level-1 block, oldest first, chunks then index then meta.json, with the Thanos section', async () => {
      assert.deepEqual(
        (await localMetas(p.dataDir)).map((m) => [m.ulid, m.compaction.level]),
        blocks.map((m) => [m.ulid, 1]),
        'the data dir holds the five level-1 blocks and nothing else',
      )
      const before = Date.now()
      assert.equal(await shipper.sync(), 5)
      const after = Date.now()

      const order: string[] = []
      for (const m of blocks) order.push(...(await expectedUploadOrder(p.dataDir, m.ulid)))
      assert.deepEqual(bucket.uploads(), order)
      // meta.json exists-check before each upload, never after.
      assert.deepEqual(
        bucket.ops.filter((o) => o.op === 'exists').map((o) => o.key),
        blocks.map((m) => `${m.ulid}/meta.json`),
      )
      for (const m of blocks) await assertShipped(bucket, p.dataDir, m.ulid, {labels: LABELS, after: before, before: after})
      assert.deepEqual(await completeBlocks(bucket), blocks.map((m) => m.ulid).sort())

      assert.equal(await readFile(path.join(p.dataDir, 'thanos.shipper.json'), 'utf8'), shipperFileText(blocks.map((m) => m.ulid)))
      assert.deepEqual(await readdir(path.join(p.dataDir, 'thanos', 'upload')), [], 'the hard links are cleaned up')
      assert.equal(await metricValue(registry, 'thanos_shipper_uploads_total'), 5)
      assert.equal(await metricValue(registry, 'thanos_shipper_dir_syncs_total'), 1)
      assert.equal(await metricValue(registry, 'thanos_shipper_dir_sync_failures_total'), 0)
      assert.equal(await metricValue(registry, 'thanos_shipper_upload_failures_total'), 0)
      assert.equal(await metricValue(registry, 'thanos_shipper_corrupted_blocks_total'), 0)
      assert.equal(await metricValue(registry, 'thanos_shipper_upload_compacted_done'), 0)
    })

    it('a second round uploads nothing and asks the bucket nothing', async () => {
      bucket.ops.length = 0
      const text = await readFile(path.join(p.dataDir, 'thanos.shipper.json'), 'utf8')
      assert.equal(await shipper.sync(), 0)
      assert.deepEqual(bucket.ops, [])
      assert.equal(await readFile(path.join(p.dataDir, 'thanos.shipper.json'), 'utf8'), text)
      assert.equal(await metricValue(registry, 'thanos_shipper_uploads_total'), 5)
      assert.equal(await metricValue(registry, 'thanos_shipper_dir_syncs_total'), 2)
    })

    it('a block already in the bucket is recorded without uploading it', async () => {
      bucket.ops.length = 0
      const other = newShipper(bucket, p.dataDir, new Registry(), {metaFileName: 'other.shipper.json'})
      assert.equal(await other.sync(), 0)
      assert.deepEqual(bucket.uploads(), [])
      assert.equal(bucket.ops.filter((o) => o.op === 'exists').length, 5)
      assert.equal(await readFile(path.join(p.dataDir, 'other.shipper.json'), 'utf8'), shipperFileText(blocks.map((m) => m.ulid)))
      await rm(path.join(p.dataDir, 'other.shipper.json'))
    })

    it('a block removed locally drops out of thanos.shipper.json, and stays in the bucket', async () => {
      const gone = blocks[0]!.ulid
      await rm(path.join(p.dataDir, gone), {recursive: true})
      assert.equal(await shipper.sync(), 0)
      assert.equal(await readFile(path.join(p.dataDir, 'thanos.shipper.json'), 'utf8'), shipperFileText(blocks.slice(1).map((m) => m.ulid)))
      assert.ok(await bucket.exists(`${gone}/meta.json`))
    })
  })
}

describe('shipper to S3 on a real SeaweedFS, over a running Prometheus 3', function () {
  this.timeout(240_000)
  let p: ShipperPrometheus
  let s3: SeaweedS3
  let proxy: HoldProxy
  let blocks: RawMeta[]

  before(async () => {
    ;[p, s3] = await Promise.all([startShipperPrometheus(3, LABELS), startSeaweedS3()])
    proxy = await startHoldProxy(s3.endpoint)
    blocks = [...p.backfilled, ...p.cut].sort((a, b) => a.minTime - b.minTime)
  })

  after(async () => {
    await proxy?.close()
    await Promise.all([p?.prom.stop(), s3?.stop()])
  })

  const yamlVia = (endpoint: string, prefix: string, extra: Record<string, string | number | boolean> = {}): string =>
    s3.objstoreYaml({prefix, extra: {region: 'us-east-1', ...extra}}).replace(`endpoint: ${s3.endpoint}`, `endpoint: ${endpoint}`)

  it('uploads every block in order, as the wire shows, and a second round uploads nothing', async () => {
    const bucket = bucketFromConfig(yamlVia(proxy.endpoint, 'wire'))
    const registry = new Registry()
    const shipper = newShipper(bucket, p.dataDir, registry, {metaFileName: 'wire.shipper.json'})
    proxy.requests.length = 0
    const before = Date.now()
    assert.equal(await shipper.sync(), 5)
    const after = Date.now()
    const puts = proxy.requests.filter((r) => r.method === 'PUT').map((r) => decodeURIComponent(r.url.replace(/^\/thanos\/wire\//, '').replace(/\?.*$/, '')))
    const order: string[] = []
    for (const m of blocks) order.push(...(await expectedUploadOrder(p.dataDir, m.ulid)))
    assert.deepEqual(puts, order)
    assert.deepEqual(
      proxy.requests.map((r) => `${r.method} ${r.status}`),
      blocks.flatMap((_, i) => ['HEAD 404', ...Array.from({length: order.filter((k) => k.startsWith(blocks[i]!.ulid)).length}, () => 'PUT 200')]),
      'per block: HEAD meta.json (absent), then one PUT per file',
    )
    for (const m of blocks) await assertShipped(bucket, p.dataDir, m.ulid, {labels: LABELS, after: before, before: after})
    assert.equal(await readFile(path.join(p.dataDir, 'wire.shipper.json'), 'utf8'), shipperFileText(blocks.map((m) => m.ulid)))

    proxy.requests.length = 0
    assert.equal(await shipper.sync(), 0)
    assert.deepEqual(proxy.requests, [], 'a recorded block costs no request')
    await bucket.close()
  })

  it('with SeaweedFS stopped the syncs fail and are counted; once it is back the next round uploads everything', async function () {
    const outage = seaweedOutage(s3)
    const bucket = bucketFromConfig(yamlVia(s3.endpoint, 'outage', {max_retries: 1}))
    const registry = new Registry()
    const shipper = newShipper(bucket, p.dataDir, registry, {metaFileName: 'outage.shipper.json'})
    const stop = new AbortController()
    let loop: Promise<void> | undefined
    try {
      await outage.down()
      loop = runShipper(shipper, 300, stop.signal, nopLogger)
      await pollFor(async () => ((await metricValue(registry, 'thanos_shipper_dir_sync_failures_total')) >= 3 ? true : undefined), 30_000, 'three failed syncs')
      assert.equal(await metricValue(registry, 'thanos_shipper_uploads_total'), 0)
      assert.equal(await metricValue(registry, 'thanos_shipper_dir_syncs_total'), 0)
      // As upstream: a failure before or during an upload ends the sync, which counts as a failed
      // dir sync; upload failures are counted only with out-of-order uploads allowed.
      assert.equal(await metricValue(registry, 'thanos_shipper_upload_failures_total'), 0)
      await assert.rejects(readFile(path.join(p.dataDir, 'outage.shipper.json')), /ENOENT/, 'an ended sync writes no record')
      await assert.rejects(shipper.sync(), /^Error: check exists: .*ECONNREFUSED/)
      // The real thanos sidecar counts the same outage the same way.
      const cfg = yamlVia(s3.endpoint, 'outage-thanos', {max_retries: 1})
      const thanos = await startThanosSidecar(p.prom, {tsdbPath: p.dataDir, objstoreConfig: cfg, extraArgs: ['--shipper.meta-file-name=outage-thanos.shipper.json']})
      try {
        const counters = await pollFor(async () => {
          const text = await (await fetch(`${thanos.httpUrl}/metrics`)).text()
          const v = (n: string): number => Number(new RegExp(`^thanos_shipper_${n} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
          return v('dir_sync_failures_total') >= 1 ? {uploads: v('uploads_total'), uploadFailures: v('upload_failures_total'), dirSyncs: v('dir_syncs_total')} : undefined
        }, 60_000, 'the thanos sidecar to fail a sync')
        assert.deepEqual(counters, {uploads: 0, uploadFailures: 0, dirSyncs: 0})
      } finally {
        await thanos.stop()
      }

      await outage.up()
      await pollFor(async () => ((await metricValue(registry, 'thanos_shipper_uploads_total')) === 5 ? true : undefined), 60_000, 'the five uploads once SeaweedFS is back')
      stop.abort()
      await loop
      const before = 0
      for (const m of blocks) await assertShipped(bucket, p.dataDir, m.ulid, {labels: LABELS, after: before, before: Date.now()})
      assert.equal(await readFile(path.join(p.dataDir, 'outage.shipper.json'), 'utf8'), shipperFileText(blocks.map((m) => m.ulid)))
      assert.ok((await metricValue(registry, 'thanos_shipper_dir_syncs_total')) >= 1)
    } finally {
      stop.abort()
      await loop
      await bucket.close()
      await outage.stop()
    }
  })
})
