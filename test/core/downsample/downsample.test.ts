/**
 * downsampleBlock over blocks written by our block writer (the comparison with the real Thanos
 * is in downsample-real-thanos.test.ts): what the output block's meta carries, what is
 * refused, series that have nothing to aggregate, reads by ranges only, and the window
 * arithmetic (windows.ts) on hand-computed cases. The output is read back by promtool too.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {BlockReader} from '../../../src/core/block/block-reader.js'
import {ChunkEncoding} from '../../../src/core/block/chunks-reader.js'
import {newUlid} from '../../../src/core/block/ulid.js'
import {writeBlock, type WriterSeries} from '../../../src/core/block/writer/write-block.js'
import {encodeXorChunks} from '../../../src/core/chunkenc/xor-encoder.js'
import {AggrType, CHUNK_ENC_AGGR, decodeAggr, isAggrAbsent} from '../../../src/core/downsample/aggr-chunk.js'
import {downsampleBlock, RES_1H, RES_5M} from '../../../src/core/downsample/downsample.js'
import {targetChunkCount, windowEnd} from '../../../src/core/downsample/windows.js'
import {BadDataError} from '../../../src/core/errors.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {uploadBlockDir} from '../../../src/core/shipper/upload.js'
import {prometheus3} from '../../helpers/peers.js'
import {CountingBucket, dbCopy, promtoolAnalyze, removeDbCopy} from '../block/fixtures.js'

const MIN = 60_000
const HOUR = 60 * MIN
const T0 = 1_704_110_400_000

function series(name: string, ts: number[], vs: number[]): WriterSeries {
  return {labels: [{name: '__name__', value: name}], chunks: encodeXorChunks(ts, vs).map((c) => ({...c, encoding: ChunkEncoding.XOR}))}
}

function samples(data: Uint8Array, at: AggrType): Array<[number, number]> {
  const d = decodeAggr(data, at)
  if (isAggrAbsent(d)) return []
  const out: Array<[number, number]> = []
  while (d.iterator.next()) out.push([d.iterator.atT(), (d.iterator as {at(): number}).at()])
  return out
}

describe('downsample/downsampleBlock', function () {
  this.timeout(120_000)
  let root: string
  let bucket: FilesystemBucket
  let rawId: string

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-downsample-unit-'))
    bucket = new FilesystemBucket({directory: path.join(root, 'bucket')})
    const t: number[] = []
    const v: number[] = []
    for (let i = 0; i < (48 * HOUR) / (15_000); i++) {
      t.push(T0 + i * 15_000)
      v.push(i % 400)
    }
    const m = await writeBlock(
      [
        series('a_counter', t, v),
        // Only NaN: nothing to aggregate, so the series is left out.
        series('b_nan', [T0 + HOUR, T0 + HOUR + 1000], [NaN, NaN]),
        series('c_two', [T0 + 7 * MIN, T0 + 12 * MIN + 1], [3, -1]),
      ],
      {
        dir: path.join(root, 'raw'),
        minTime: T0,
        maxTime: T0 + 48 * HOUR,
        compaction: {level: 3, sources: [newUlid(T0), newUlid(T0 + 1)].sort()},
        thanos: {labels: {cluster: 'c1', replica: 'r'}, source: 'sidecar', extensions: {note: 'kept'}},
      },
    )
    await uploadBlockDir(path.join(root, 'raw', m!.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    rawId = m!.ulid
  })

  after(async () => {
    await rm(root, {recursive: true, force: true})
  })

  it('writes a 5m block: same range, labels, compaction and extensions; resolution and source set', async () => {
    const raw = await BlockReader.open(bucket, rawId)
    const ulid = newUlid(Date.now())
    const m = await downsampleBlock(raw, {dir: path.join(root, 'out'), resolution: RES_5M, ulid})
    assert.ok(m)
    assert.equal(m.ulid, ulid)
    assert.equal(m.minTime, raw.meta.minTime)
    assert.equal(m.maxTime, raw.meta.maxTime)
    assert.deepEqual(m.compaction, raw.meta.compaction)
    assert.deepEqual(m.thanos.labels, {cluster: 'c1', replica: 'r'})
    assert.deepEqual(m.thanos.extensions, {note: 'kept'})
    assert.equal(m.thanos.downsample.resolution, RES_5M)
    assert.equal(m.thanos.source, 'compactor')
    assert.equal(m.stats.numSeries, 2, 'the NaN-only series is left out')
    // 48h of 5m windows for a_counter, one window each for c_two's two samples.
    assert.equal(m.stats.numSamples, (48 * HOUR) / (5 * MIN) + 2)
    assert.deepEqual(await readdir(path.join(root, 'out')), [ulid])
  })

  it('aggregates c_two per window, the counter with first and last raw samples', async () => {
    const out = new FilesystemBucket({directory: path.join(root, 'out')})
    const id = (await readdir(path.join(root, 'out')))[0]!
    const r = await BlockReader.open(out, id)
    const all = []
    for await (const s of r.series([new Matcher(MatchType.EQ, '__name__', 'c_two')], -Infinity, Infinity)) all.push(s)
    assert.equal(all.length, 1)
    const [c] = all[0]!.chunks
    const w1 = windowEnd(T0 + 7 * MIN, RES_5M)
    const last = T0 + 12 * MIN + 1
    assert.equal(w1, T0 + 10 * MIN - 1)
    assert.deepEqual(samples(c!.data, AggrType.Count), [
      [w1, 1],
      [last, 1],
    ])
    assert.deepEqual(samples(c!.data, AggrType.Min), [
      [w1, 3],
      [last, -1],
    ])
    // 3, then a drop to -1 is a reset: the counter adds -1 in full.
    assert.deepEqual(samples(c!.data, AggrType.Counter), [
      [T0 + 7 * MIN, 3],
      [w1, 3],
      [last, 2],
      [last, -1],
    ])
    assert.equal(c!.minTime, w1)
    assert.equal(c!.maxTime, last)
  })

  it('reads the input by ranges: no whole index or chunk file is fetched', async () => {
    const counting = new CountingBucket(bucket)
    const r = await BlockReader.open(counting, rawId)
    await downsampleBlock(r, {dir: path.join(root, 'out-ranges'), resolution: RES_5M})
    const files = counting.total((k) => k.endsWith('/index') || k.includes('/chunks/'))
    assert.equal(files.getCalls, 0)
    assert.ok(files.getRangeCalls > 0)
  })

  it('refuses a target resolution not above the block\'s, and writes nothing', async () => {
    const raw = await BlockReader.open(bucket, rawId)
    const dir = path.join(root, 'refused')
    await assert.rejects(downsampleBlock(raw, {dir, resolution: 0}), (e: unknown) => e instanceof BadDataError && /not lower than existing one/.test((e as Error).message))
    const m5 = await downsampleBlock(raw, {dir: path.join(root, 'm5'), resolution: RES_5M})
    const r5 = await BlockReader.open(new FilesystemBucket({directory: path.join(root, 'm5')}), m5!.ulid)
    await assert.rejects(downsampleBlock(r5, {dir, resolution: RES_5M}), BadDataError)
    const h1 = await downsampleBlock(r5, {dir: path.join(root, 'h1'), resolution: RES_1H})
    assert.equal(h1!.thanos.downsample.resolution, RES_1H)
    await assert.rejects(readdir(dir), /ENOENT/)
  })

  it('writes an empty block when no series has a sample to aggregate, as Thanos', async () => {
    const m = await writeBlock([series('only_nan', [T0, T0 + 1000], [NaN, NaN])], {dir: path.join(root, 'nan-raw'), thanos: {labels: {x: 'y'}}})
    const r = await BlockReader.open(new FilesystemBucket({directory: path.join(root, 'nan-raw')}), m!.ulid)
    const out = await downsampleBlock(r, {dir: path.join(root, 'nan-out'), resolution: RES_5M})
    assert.deepEqual(out.stats, {})
    assert.equal(out.minTime, T0)
    assert.equal(out.maxTime, T0 + 1001)
    const back = await BlockReader.open(new FilesystemBucket({directory: path.join(root, 'nan-out')}), out.ulid)
    const got = []
    for await (const s of back.series([new Matcher(MatchType.RE, '__name__', '.*')], -Infinity, Infinity)) got.push(s)
    assert.equal(got.length, 0)
  })

  it('a malformed aggregate chunk is a BadDataError naming the block and series', async () => {
    const dir = path.join(root, 'bad-5m')
    const m = await writeBlock([{labels: [{name: '__name__', value: 'broken'}], chunks: [{minTime: T0, maxTime: T0 + HOUR, encoding: CHUNK_ENC_AGGR, data: Uint8Array.of(0x05, 1, 0)}]}], {
      dir,
      minTime: T0,
      maxTime: T0 + 2 * HOUR,
      thanos: {labels: {x: 'y'}, resolution: RES_5M},
    })
    const r = await BlockReader.open(new FilesystemBucket({directory: dir}), m!.ulid)
    await assert.rejects(
      downsampleBlock(r, {dir: path.join(root, 'bad-out'), resolution: RES_1H}),
      (e: unknown) => e instanceof BadDataError && e.message.includes(`block ${m!.ulid}: series broken`) && (e.cause as Error).message.includes('runs past'),
    )
    assert.deepEqual(await readdir(path.join(root, 'bad-out')).catch(() => []), [], 'no block left behind')
  })

  it('stops on an aborted signal and leaves no block behind', async () => {
    const raw = await BlockReader.open(bucket, rawId)
    const ac = new AbortController()
    ac.abort()
    const dir = path.join(root, 'aborted')
    await assert.rejects(downsampleBlock(raw, {dir, resolution: RES_5M, signal: ac.signal}))
    assert.deepEqual(await readdir(dir).catch(() => []), [])
  })

  it('promtool reads the downsampled block\'s index', async () => {
    const dir = path.join(root, 'out')
    const id = (await readdir(dir))[0]!
    const db = await dbCopy(dir)
    try {
      const a = await promtoolAnalyze({promtool: prometheus3().promtool, sandbox: true}, db, id, false)
      assert.equal(a.series, 2)
    } finally {
      await removeDbCopy(db)
    }
  })
})

describe('downsample/windows', () => {
  it('windowEnd: the last millisecond of the window, Go remainder semantics for negative times', () => {
    assert.equal(windowEnd(0, RES_5M), RES_5M - 1)
    assert.equal(windowEnd(RES_5M - 1, RES_5M), RES_5M - 1)
    assert.equal(windowEnd(RES_5M, RES_5M), 2 * RES_5M - 1)
    // Go (and JS): -1 % 300000 = -1, so -1 - (-1) + 300000 - 1: the window [0, 5m) as Thanos computes it.
    assert.equal(windowEnd(-1, RES_5M), RES_5M - 1)
    assert.equal(windowEnd(-RES_5M - 1, RES_5M), -1)
  })

  it('targetChunkCount: samples the range could hold, scaled by fullness, ≤ 140 per chunk', () => {
    // 48h of 1-minute raw data to 5m: 576 windows + 1 → 5 chunks (577/5 = 115).
    assert.equal(targetChunkCount(0, 48 * HOUR, MIN, RES_5M, 2880), 5)
    // Denser than 1 per minute is capped at full.
    assert.equal(targetChunkCount(0, 48 * HOUR, MIN, RES_5M, 100_000), 5)
    // Half full: 288 + 1 → 3 chunks (289/3 = 96; 289/2 = 144 > 140).
    assert.equal(targetChunkCount(0, 48 * HOUR, MIN, RES_5M, 1440), 3)
    // One sample (mint = maxt): one chunk.
    assert.equal(targetChunkCount(5, 5, MIN, RES_5M, 1), 1)
    // 10 days of 5m windows to 1h: 240 + 1 → 2 chunks.
    assert.equal(targetChunkCount(0, 240 * HOUR, RES_5M, RES_1H, 2880), 2)
  })
})
