import assert from 'node:assert/strict'
import {cp, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader, type BlockSeries} from '../../../src/core/block/block-reader.js'
import {BlockCorruptionError, BlockNotFoundError, UnsupportedBlockFormatError} from '../../../src/core/block/errors.js'
import {
  DELETION_MARK_FILENAME,
  formatMarker,
  NO_COMPACT_MARK_FILENAME,
  parseMarker,
  readMarker,
  writeMarker,
} from '../../../src/core/block/markers.js'
import {formatGoTime, formatMeta, parseMeta, readMeta, uploadTimeMs, writeMeta, ZERO_UPLOAD_TIME, type BlockMeta} from '../../../src/core/block/meta.js'
import {newUlid, ulidTime} from '../../../src/core/block/ulid.js'
import {errorKind} from '../../../src/core/errors.js'
import {getLabel} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {peer, prometheus3} from '../../helpers/peers.js'
import {CountingBucket, createBlocks, datasetOpenMetrics, goLabelsString, listBlocks, tempDir, thanosBucketTool, thanosListMetas} from './fixtures.js'

async function collect(it: AsyncIterable<BlockSeries>): Promise<BlockSeries[]> {
  const out: BlockSeries[] = []
  for await (const s of it) out.push(s)
  return out
}

const ALL = [new Matcher(MatchType.RE, '__name__', '.+')]

describe('meta.json and marker files against the real Thanos', function () {
  this.timeout(120_000)
  const thanos = peer('thanos').path
  let dir: string
  let plainDir: string
  let thanosDir: string
  let ids: string[]
  let rewritten: string
  let before0: number
  let after0: number

  before(async () => {
    before0 = Date.now()
    dir = await tempDir('meta')
    const src = path.join(dir, 'src')
    ids = await createBlocks({promtool: prometheus3().promtool, sandbox: true}, datasetOpenMetrics(20), src)
    plainDir = path.join(dir, 'plain')
    await cp(src, plainDir, {recursive: true})
    thanosDir = path.join(dir, 'thanos')
    // The shipper path of the real Thanos: external labels (escaped by Go), files, sizes, upload_time.
    await thanosBucketTool(thanos, thanosDir, ['upload-blocks', `--path=${src}`, '--label=cluster="c<1>&"', '--label=replica="é"', '--shipper.upload-compacted'])
    await thanosBucketTool(thanos, thanosDir, ['rewrite', `--id=${ids[0]}`, '--no-dry-run', `--tmp.dir=${path.join(dir, 'rw')}`, '--rewrite.to-delete-config=- matchers: "{instance=\\"i1\\"}"'])
    rewritten = (await listBlocks(thanosDir)).find((x) => !ids.includes(x))!
    await thanosBucketTool(thanos, thanosDir, ['mark', `--id=${ids[1]}`, `--marker=${DELETION_MARK_FILENAME}`, '--details=old <&> "data"'])
    await thanosBucketTool(thanos, thanosDir, ['mark', `--id=${ids[2]}`, `--marker=${NO_COMPACT_MARK_FILENAME}`, '--details=too big'])
    after0 = Date.now()
  })

  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it("reads promtool's meta.json and writes it as Thanos re-marshals it", async () => {
    const listed = await thanosListMetas(thanos, plainDir)
    assert.equal(listed.size, ids.length)
    for (const id of ids) {
      const text = await readFile(path.join(plainDir, id, 'meta.json'), 'utf8')
      const raw = JSON.parse(text) as Record<string, unknown>
      const m = parseMeta(text, id)
      assert.deepEqual({ulid: m.ulid, minTime: m.minTime, maxTime: m.maxTime, stats: m.stats, compaction: m.compaction, version: m.version}, raw)
      assert.deepEqual(m.thanos, {labels: {}, downsample: {resolution: 0}, source: '', index_stats: {}, upload_time: ZERO_UPLOAD_TIME})
      assert.equal(formatMeta(m), listed.get(id))
    }
  })

  it("reads Thanos's meta.json (upload and rewrite) and writes it back byte for byte", async () => {
    const blocks = await listBlocks(thanosDir)
    assert.equal(blocks.length, ids.length + 1)
    for (const id of blocks) {
      const text = await readFile(path.join(thanosDir, id, 'meta.json'), 'utf8')
      const m = parseMeta(text, id)
      assert.equal(formatMeta(m), text, `${id} round trip`)
      assert.deepEqual(m.thanos.labels, {cluster: 'c<1>&', replica: 'é'})
      assert.deepEqual(m.thanos.segment_files, ['000001'])
      for (const f of m.thanos.files!) {
        if (f.rel_path === 'meta.json') assert.equal(f.size_bytes, undefined)
        else assert.equal(f.size_bytes, (await stat(path.join(thanosDir, id, f.rel_path))).size, f.rel_path)
      }
      const up = uploadTimeMs(m.thanos)!
      assert.ok(up >= before0 - 1000 && up <= after0 + 1000, `upload_time ${m.thanos.upload_time}`)
      if (id === rewritten) {
        assert.equal(m.thanos.source, 'bucket.rewrite')
        const rw = m.thanos.rewrites as {sources: string[]}[]
        assert.deepEqual(rw[0]!.sources, [ids[0]])
      } else assert.equal(m.thanos.source, 'bucket.upload')
    }
  })

  it('writes a meta.json that Thanos reads and re-marshals unchanged', async () => {
    // A block renamed to a ULID of ours, with every optional field set.
    const id = newUlid(Date.now())
    await rename(path.join(thanosDir, ids[4]!), path.join(thanosDir, id))
    const bucket = new FilesystemBucket({directory: thanosDir})
    const m: BlockMeta = {...(await readMeta(bucket, id)), ulid: id}
    m.compaction = {
      level: 3,
      sources: [ids[3]!, ids[4]!],
      deletable: true,
      parents: [{ulid: ids[3]!, minTime: 1, maxTime: 2}],
      failed: true,
      hints: ['from-out-of-order'],
    }
    m.thanos = {
      ...m.thanos,
      version: 1,
      labels: {'1': 'integer-like key', b: 'x\u2028y', a: '<script>&amp;'},
      downsample: {resolution: 300_000},
      source: 'compactor',
      index_stats: {series_max_size: 1234, chunk_max_size: 99},
      extensions: {zeta: 1.5, alpha: {b: [1, 2], a: 'x<y'}},
      upload_time: formatGoTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 670))),
    }
    await writeMeta(bucket, m)
    const listed = await thanosListMetas(thanos, thanosDir)
    const ours = await readFile(path.join(thanosDir, id, 'meta.json'), 'utf8')
    assert.equal(listed.get(id), ours)
    assert.equal(ulidTime(id) <= Date.now(), true)
    assert.deepEqual(parseMeta(ours, id), m)
  })

  it('opens a block uploaded by Thanos without listing chunks/ or asking for sizes', async () => {
    const bucket = new CountingBucket(new FilesystemBucket({directory: thanosDir}))
    const r = await BlockReader.open(bucket, ids[3]!)
    const plain = await BlockReader.open(new FilesystemBucket({directory: plainDir}), ids[3]!)
    const got = await collect(r.series(ALL, r.meta.minTime, r.meta.maxTime))
    const want = await collect(plain.series(ALL, r.meta.minTime, r.meta.maxTime))
    assert.deepEqual(got, want)
    assert.equal(bucket.total().iterCalls, 0)
    assert.equal(bucket.total().attributesCalls, 0)
  })

  it('reads the block Thanos rewrote: the original series without the deleted ones', async () => {
    const r = await BlockReader.open(new FilesystemBucket({directory: thanosDir}), rewritten)
    const orig = await BlockReader.open(new FilesystemBucket({directory: plainDir}), ids[0]!)
    const got = (await collect(r.series(ALL, r.meta.minTime, r.meta.maxTime))).map((s) => goLabelsString(s.labels))
    const all = await collect(orig.series(ALL, orig.meta.minTime, orig.meta.maxTime))
    const want = all.filter((s) => getLabel(s.labels, 'instance') !== 'i1').map((s) => goLabelsString(s.labels))
    assert.ok(want.length < all.length)
    assert.deepEqual(got, want)
  })

  it("reads Thanos's marker files and writes them byte for byte", async () => {
    const bucket = new FilesystemBucket({directory: thanosDir})
    const del = (await readMarker(bucket, ids[1]!, DELETION_MARK_FILENAME))!
    assert.equal(del.id, ids[1])
    assert.equal(del.details, 'old <&> "data"')
    assert.ok(del.deletion_time >= Math.floor(before0 / 1000) && del.deletion_time <= Math.ceil(after0 / 1000))
    assert.equal(formatMarker(DELETION_MARK_FILENAME, del), await readFile(path.join(thanosDir, ids[1]!, DELETION_MARK_FILENAME), 'utf8'))
    const nc = (await readMarker(bucket, ids[2]!, NO_COMPACT_MARK_FILENAME))!
    assert.deepEqual({id: nc.id, details: nc.details, reason: nc.reason, version: nc.version}, {id: ids[2], details: 'too big', reason: 'manual', version: 1})
    assert.equal(formatMarker(NO_COMPACT_MARK_FILENAME, nc), await readFile(path.join(thanosDir, ids[2]!, NO_COMPACT_MARK_FILENAME), 'utf8'))
    assert.equal(await readMarker(bucket, ids[3]!, DELETION_MARK_FILENAME), undefined)
  })

  it('writes a deletion mark that Thanos acts on', async () => {
    const victim = ids[3]!
    const bucket = new FilesystemBucket({directory: thanosDir})
    await writeMarker(bucket, DELETION_MARK_FILENAME, {id: victim, version: 1, details: 'by thanosts', deletion_time: Math.floor(Date.now() / 1000) - 60})
    const kept = await thanosListMetas(thanos, thanosDir, ['--exclude-delete'])
    assert.ok(!kept.has(victim), 'ls --exclude-delete hides the block we marked')
    assert.ok(!kept.has(ids[1]!), 'and the one Thanos marked')
    await thanosBucketTool(thanos, thanosDir, ['cleanup', '--delete-delay=0s', '--consistency-delay=0s'])
    assert.ok(!(await readdir(thanosDir)).includes(victim), 'thanos cleanup deleted it')
  })

  it('refuses unknown versions and broken JSON with typed errors naming the block', async () => {
    const text = await readFile(path.join(plainDir, ids[0]!, 'meta.json'), 'utf8')
    const id = ids[0]!
    const v2 = text.replace('"version": 1', '"version": 2')
    assert.notEqual(v2, text)
    assert.throws(() => parseMeta(v2, id), (e: unknown) => e instanceof UnsupportedBlockFormatError && e.block === id && /version 2/.test(e.message))
    const tv = JSON.stringify({...JSON.parse(text), thanos: {version: 2, labels: {}}})
    assert.throws(() => parseMeta(tv, id), (e: unknown) => e instanceof UnsupportedBlockFormatError && /Thanos section version 2/.test(e.message))
    assert.throws(() => parseMeta(text.slice(0, 40), id), (e: unknown) => e instanceof BlockCorruptionError && e.block === id && e.file === 'meta.json')
    assert.throws(() => parseMeta(text.replace(/"ulid": "[^"]*"/, '"ulid": "not-a-ulid"'), id), BlockCorruptionError)
    assert.equal(errorKind(new UnsupportedBlockFormatError(id, 'meta.json', 'x')), 'bad_data')
    assert.throws(() => parseMarker(DELETION_MARK_FILENAME, '{"id":"' + id + '","version":2,"deletion_time":1}', id), UnsupportedBlockFormatError)
    assert.throws(() => parseMarker(DELETION_MARK_FILENAME, '{"id":', id), BlockCorruptionError)
  })

  it('reports a block without meta.json as not found', async () => {
    const d = await tempDir('nometa')
    try {
      await cp(path.join(plainDir, ids[0]!), path.join(d, ids[0]!), {recursive: true})
      await rm(path.join(d, ids[0]!, 'meta.json'))
      const bucket = new FilesystemBucket({directory: d})
      await assert.rejects(BlockReader.open(bucket, ids[0]!), (e: unknown) => e instanceof BlockNotFoundError && e.block === ids[0] && errorKind(e) === 'not_found')
      await writeFile(path.join(d, ids[0]!, 'meta.json'), '{"version": 1, "ulid": "x"')
      await assert.rejects(BlockReader.open(bucket, ids[0]!), BlockCorruptionError)
    } finally {
      await rm(d, {recursive: true, force: true})
    }
  })
})
