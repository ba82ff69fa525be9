/**
 * The shipper's decisions on a TSDB directory of promtool blocks (no Prometheus needed): empty
 * and corrupted blocks, a block whose upload fails (in order and out of order), external labels
 * that change between rounds, an unreadable shipper file, SHA256 hashes, and a chunk segment of
 * 256 MiB uploaded without holding it in memory.
 */
import assert from 'node:assert/strict'
import {cp, mkdtemp, open, readdir, readFile, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Registry} from 'prom-client'
import {newUlid} from '../../../src/core/block/ulid.js'
import {labelsFromRecord, type Labels} from '../../../src/core/labels/labels.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {Shipper, type ShipperOptions} from '../../../src/core/shipper/shipper.js'
import {toOpenMetrics} from '../../helpers/openmetrics.js'
import {backfill} from '../../helpers/prometheus.js'
import {assertShipped, backfillSeries, completeBlocks, localMetas, metricValue, RecordingBucket, shipperFileText, type RawMeta} from './fixtures.js'

const LABELS = {cluster: 'eu1', replica: '0'}

describe('shipper decisions over promtool blocks', function () {
  this.timeout(120_000)
  let source: string
  let blocks: RawMeta[]
  let work: string
  let tsdb: string
  let bucketDir: string
  let bucket: RecordingBucket
  let registry: Registry

  before(async () => {
    source = await mkdtemp(path.join(tmpdir(), 'thanosts-shipper-src-'))
    await backfill(toOpenMetrics(backfillSeries()), path.join(source, 'data'), source)
    blocks = await localMetas(path.join(source, 'data'))
    assert.equal(blocks.length, 3)
  })

  after(() => rm(source, {recursive: true, force: true}))

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-shipper-edge-'))
    tsdb = path.join(work, 'tsdb')
    bucketDir = path.join(work, 'bucket')
    await cp(path.join(source, 'data'), tsdb, {recursive: true})
    bucket = new RecordingBucket(new FilesystemBucket({directory: bucketDir}))
    registry = new Registry()
  })

  afterEach(() => rm(work, {recursive: true, force: true}))

  const shipper = (extra: Partial<ShipperOptions> = {}): Shipper =>
    new Shipper({bucket, dir: tsdb, labels: () => labelsFromRecord(LABELS), source: 'sidecar', logger: nopLogger, registry, ...extra})
  const m = (name: string): Promise<number> => metricValue(registry, `thanos_shipper_${name}`)
  const ids = (list: RawMeta[]): string[] => list.map((b) => b.ulid)

  /** A copy of block `b` under a new ID, its meta.json changed by `edit`. */
  async function copyBlock(b: RawMeta, edit: (meta: RawMeta) => void): Promise<string> {
    const id = newUlid(Date.now())
    await cp(path.join(tsdb, b.ulid), path.join(tsdb, id), {recursive: true})
    const meta = JSON.parse(await readFile(path.join(tsdb, id, 'meta.json'), 'utf8')) as RawMeta
    meta.ulid = id
    edit(meta)
    await writeFile(path.join(tsdb, id, 'meta.json'), JSON.stringify(meta, null, '\t'))
    return id
  }

  it('skips blocks without samples and compacted blocks, and records neither', async () => {
    const empty = await copyBlock(blocks[0]!, (x) => {
      x.stats = {numSeries: 0}
    })
    const compacted = await copyBlock(blocks[1]!, (x) => {
      x.compaction.level = 2
    })
    assert.equal(await shipper().sync(), 3)
    assert.deepEqual(await completeBlocks(bucket), ids(blocks).sort())
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids(blocks)))
    assert.ok(!bucket.ops.some((o) => o.key.startsWith(empty) || o.key.startsWith(compacted)), 'not even looked up in the bucket')
    assert.equal(await m('upload_compacted_done'), 0)
  })

  it('a corrupted meta.json fails the whole sync by default, as Thanos', async () => {
    await writeFile(path.join(tsdb, blocks[1]!.ulid, 'meta.json'), '{"ulid": "')
    await assert.rejects(shipper().sync(), new RegExp(`^BadDataError: read metadata for block ${tsdb}/${blocks[1]!.ulid}: `))
    assert.deepEqual(bucket.ops, [])
    assert.equal(await m('dir_sync_failures_total'), 1)
    assert.equal(await m('dir_syncs_total'), 0)
    assert.equal(await m('corrupted_blocks_total'), 0)
  })

  it('with corrupted blocks skipped, it is counted and the others are uploaded', async () => {
    await writeFile(path.join(tsdb, blocks[1]!.ulid, 'meta.json'), '{"version": 2}')
    await assert.rejects(shipper({skipCorruptedBlocks: true}).sync(), /^Error: failed to sync 0\/1 blocks$/)
    assert.deepEqual(await completeBlocks(bucket), ids([blocks[0]!, blocks[2]!]).sort())
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids([blocks[0]!, blocks[2]!])))
    assert.equal(await m('corrupted_blocks_total'), 1)
    assert.equal(await m('uploads_total'), 2)
    assert.equal(await m('dir_syncs_total'), 1, 'the sync itself went through')
    assert.equal(await m('dir_sync_failures_total'), 0)
  })

  it('a failed upload stops the sync: newer blocks wait, the next round retries it', async () => {
    const index = path.join(tsdb, blocks[1]!.ulid, 'index')
    const saved = await readFile(index)
    await rm(index)
    const s = shipper()
    await assert.rejects(s.sync(), new RegExp(`^Error: upload ${blocks[1]!.ulid}: hard link block: hard link file index: ENOENT`))
    assert.deepEqual(await completeBlocks(bucket), [blocks[0]!.ulid])
    assert.deepEqual(bucket.uploads().filter((k) => k.startsWith(blocks[2]!.ulid)), [], 'the newer block was not touched')
    await assert.rejects(readFile(path.join(tsdb, 'thanos.shipper.json')), /ENOENT/)
    assert.equal(await m('dir_sync_failures_total'), 1)
    assert.equal(await m('upload_failures_total'), 0)

    await writeFile(index, saved)
    assert.equal(await s.sync(), 2)
    assert.deepEqual(await completeBlocks(bucket), ids(blocks).sort())
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids(blocks)))
    assert.equal(await m('uploads_total'), 3)
  })

  it('with out-of-order uploads allowed, a failed upload is counted and the newer blocks go on', async () => {
    await rm(path.join(tsdb, blocks[1]!.ulid, 'index'))
    await assert.rejects(shipper({allowOutOfOrderUploads: true}).sync(), /^Error: failed to sync 1\/0 blocks$/)
    assert.deepEqual(await completeBlocks(bucket), ids([blocks[0]!, blocks[2]!]).sort())
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids([blocks[0]!, blocks[2]!])))
    assert.equal(await m('upload_failures_total'), 1)
    assert.equal(await m('dir_syncs_total'), 1)
  })

  it('asks for the external labels at every upload', async () => {
    let labels: Labels = labelsFromRecord({cluster: 'eu1', replica: '0'})
    const s = shipper({labels: () => labels})
    await cp(path.join(tsdb, blocks[2]!.ulid), path.join(work, 'later'), {recursive: true})
    await rm(path.join(tsdb, blocks[2]!.ulid), {recursive: true})
    assert.equal(await s.sync(), 2)
    labels = labelsFromRecord({cluster: 'eu1', replica: '1'})
    await cp(path.join(work, 'later'), path.join(tsdb, blocks[2]!.ulid), {recursive: true})
    assert.equal(await s.sync(), 1)
    const labelsOf = async (id: string): Promise<unknown> => (JSON.parse((await bucket.get(`${id}/meta.json`)).toString()) as {thanos: {labels: unknown}}).thanos.labels
    assert.deepEqual(await labelsOf(blocks[1]!.ulid), {cluster: 'eu1', replica: '0'})
    assert.deepEqual(await labelsOf(blocks[2]!.ulid), {cluster: 'eu1', replica: '1'})
  })

  it('labels already in a local thanos section are kept, external labels win over them', async () => {
    const meta = JSON.parse(await readFile(path.join(tsdb, blocks[0]!.ulid, 'meta.json'), 'utf8')) as RawMeta
    meta.thanos = {labels: {tenant: 't1', replica: 'old'}, downsample: {resolution: 0}, source: 'receive'}
    const prometheusText = JSON.stringify(meta, null, '\t')
    await writeFile(path.join(tsdb, blocks[0]!.ulid, 'meta.json'), prometheusText)
    assert.equal(await shipper().sync(), 3)
    const got = JSON.parse((await bucket.get(`${blocks[0]!.ulid}/meta.json`)).toString()) as {thanos: {labels: unknown; source: string}}
    assert.deepEqual(got.thanos.labels, {cluster: 'eu1', replica: '0', tenant: 't1'})
    assert.equal(got.thanos.source, 'sidecar')
    assert.equal(await readFile(path.join(tsdb, blocks[0]!.ulid, 'meta.json'), 'utf8'), prometheusText, "the local meta.json is not written through the hard link")
  })

  it('an unreadable thanos.shipper.json is started over (blocks found in the bucket are recorded again)', async () => {
    const s = shipper()
    assert.equal(await s.sync(), 3)
    await writeFile(path.join(tsdb, 'thanos.shipper.json'), 'not json')
    bucket.ops.length = 0
    assert.equal(await s.sync(), 0)
    assert.deepEqual(bucket.uploads(), [])
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids(blocks)))
    await writeFile(path.join(tsdb, 'thanos.shipper.json'), '{"version": 2, "uploaded": []}')
    assert.equal(await s.sync(), 0)
    assert.equal(await readFile(path.join(tsdb, 'thanos.shipper.json'), 'utf8'), shipperFileText(ids(blocks)))
  })

  it('with --hash-func=SHA256 every data file carries its SHA256; uploads may run concurrently', async () => {
    const t0 = Date.now()
    assert.equal(await shipper({hashFunc: 'SHA256', uploadConcurrency: 4}).sync(), 3)
    for (const b of blocks) await assertShipped(bucket, tsdb, b.ulid, {labels: LABELS, after: t0, before: Date.now(), hashFunc: 'SHA256'})
  })

  it('streams a 256 MiB chunk segment: memory grows by far less than the file', async function () {
    this.timeout(180_000)
    const big = blocks[0]!.ulid
    const seg = path.join(tsdb, big, 'chunks', '000001')
    const size = 256 * 1024 * 1024
    // The real segment, then zeros to 256 MiB (a sparse file: cheap to make, read like any other).
    await truncate(seg, size)
    for (const b of blocks.slice(1)) await rm(path.join(tsdb, b.ulid), {recursive: true})
    global.gc?.()
    const base = process.memoryUsage().rss
    let peak = base
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 10)
    try {
      assert.equal(await shipper().sync(), 1)
    } finally {
      clearInterval(timer)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    assert.ok(peak - base < 96 * 1024 * 1024, `rss grew by ${((peak - base) / 1048576).toFixed(0)} MiB while uploading a ${size / 1048576} MiB segment`)
    const fh = await open(path.join(bucketDir, big, 'chunks', '000001'), 'r')
    try {
      assert.equal((await fh.stat()).size, size)
    } finally {
      await fh.close()
    }
    const files = (JSON.parse((await bucket.get(`${big}/meta.json`)).toString()) as {thanos: {files: {rel_path: string; size_bytes?: number}[]}}).thanos.files
    assert.deepEqual(files[0], {rel_path: 'chunks/000001', size_bytes: size})
    assert.deepEqual(await readdir(path.join(bucketDir, big, 'chunks')), ['000001'])
  })
})
