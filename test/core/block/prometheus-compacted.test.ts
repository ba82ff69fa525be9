/**
 * A block written by a running Prometheus 3: five backfilled 2h blocks over [T0, T0+10h) with
 * T0 on a 6h boundary; about a minute after start (tsdb's BlockReloadInterval) its compactor
 * merges the first three into one level-2 block [T0, T0+6h) (prometheus/tsdb/compact.go
 * selectDirs: the newest block is left out, and a window that does not span its whole range
 * is compacted once it ends before the newest remaining block). Nothing else can merge
 * afterwards, so the result is stable. It is also the biggest block of these tests (30000
 * series), used to show that reads are ranged.
 */
import assert from 'node:assert/strict'
import {cp, readdir, readFile, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {BlockReader, type BlockSeries} from '../../../src/core/block/block-reader.js'
import type {BlockMeta} from '../../../src/core/block/meta.js'
import {ulidTime} from '../../../src/core/block/ulid.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {prometheus3} from '../../helpers/peers.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {
  BLOCKS,
  CountingBucket,
  datasetOpenMetrics,
  dbCopy,
  decodeChunks,
  goLabelsString,
  HOUR,
  prometheusRawSamples,
  promtoolDump,
  removeDbCopy,
  sameFloat,
  T0,
  tempDir,
  type Tool,
} from './fixtures.js'

const SPARSE = 30_000

async function metas(dataDir: string): Promise<BlockMeta[]> {
  const out: BlockMeta[] = []
  for (const n of (await readdir(dataDir)).filter((x) => /^[0-9A-Z]{26}$/.test(x)).sort()) {
    try {
      out.push(JSON.parse(await readFile(path.join(dataDir, n, 'meta.json'), 'utf8')) as BlockMeta)
    } catch {
      // being deleted
    }
  }
  return out
}

async function collect(it: AsyncIterable<BlockSeries>): Promise<BlockSeries[]> {
  const out: BlockSeries[] = []
  for await (const s of it) out.push(s)
  return out
}

describe('block reader over a level-2 block compacted by a real Prometheus 3', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle | undefined
  let dir: string
  let db: string
  let startedAt: number
  let sources: BlockMeta[]
  let compacted: BlockMeta
  let bucket: CountingBucket
  const tool: Tool = {promtool: prometheus3().promtool, sandbox: true}

  before(async () => {
    startedAt = Date.now()
    prom = await startPrometheus({version: 3, openMetrics: datasetOpenMetrics(SPARSE)})
    const dataDir = path.join(prom.dir, 'data')
    sources = (await metas(dataDir)).filter((x) => x.compaction.level === 1)
    const deadline = Date.now() + 200_000
    for (;;) {
      const c = (await metas(dataDir)).find((x) => x.compaction.level >= 2)
      if (c) {
        compacted = c
        break
      }
      if (Date.now() > deadline) throw new Error(`Prometheus did not compact within 200 s: ${JSON.stringify(await metas(dataDir))}`)
      await new Promise((r) => setTimeout(r, 1000))
    }
    dir = await tempDir('compacted')
    await cp(path.join(dataDir, compacted.ulid), path.join(dir, compacted.ulid), {recursive: true})
    db = await dbCopy(dir)
    bucket = new CountingBucket(new FilesystemBucket({directory: dir}))
  })

  after(async () => {
    await prom?.stop()
    if (dir) await rm(dir, {recursive: true, force: true})
    if (db) await removeDbCopy(db)
  })

  it('is a level-2 block of the first three backfilled 2h blocks', async () => {
    assert.equal(sources.length, BLOCKS, 'the backfilled blocks before compaction')
    const r = await BlockReader.open(bucket, compacted.ulid)
    assert.equal(r.meta.compaction.level, 2)
    const parents = sources.slice(0, 3)
    assert.deepEqual([...r.meta.compaction.sources!].sort(), parents.map((p) => p.ulid).sort())
    assert.deepEqual(
      r.meta.compaction.parents!.map((p) => p.ulid).sort(),
      parents.map((p) => p.ulid).sort(),
    )
    assert.equal(r.meta.minTime, parents[0]!.minTime)
    assert.equal(r.meta.maxTime, parents[2]!.maxTime)
    assert.ok(r.meta.maxTime <= T0 + 6 * HOUR)
    // Prometheus names a compacted block with the time it wrote it.
    assert.ok(ulidTime(r.id) >= startedAt && ulidTime(r.id) <= Date.now(), `ULID time of ${r.id}`)
    assert.equal(r.meta.stats.numSeries, parents.reduce((n, p) => Math.max(n, p.stats.numSeries!), 0))
  })

  it('reads every series and sample as promtool tsdb dump and the Prometheus API have them', async () => {
    const r = await BlockReader.open(bucket, compacted.ulid)
    const got = await collect(r.series([new Matcher(MatchType.RE, '__name__', '.+')], r.meta.minTime, r.meta.maxTime))
    const dump = await promtoolDump(tool, db, r.meta.minTime, r.meta.maxTime - 1)
    const api = await prometheusRawSamples(prom!.url, r.meta.maxTime - 1, r.meta.maxTime - r.meta.minTime)
    assert.deepEqual(
      got.map((s) => goLabelsString(s.labels)),
      dump.map((s) => s.key),
    )
    assert.equal(api.size, got.length)
    let samples = 0
    for (const [i, s] of got.entries()) {
      const d = decodeChunks(s.chunks)
      samples += d.ts.length
      for (const want of [dump[i]!, api.get(dump[i]!.key)!]) {
        assert.deepEqual(d.ts, want.ts, want.key)
        for (let k = 0; k < d.vs.length; k++) if (!sameFloat(d.vs[k]!, want.vs[k]!)) assert.fail(`${want.key} sample ${k}: ${d.vs[k]} != ${want.vs[k]}`)
      }
    }
    assert.equal(samples, r.meta.stats.numSamples)
    assert.equal(
      got.reduce((n, s) => n + s.chunks.length, 0),
      r.meta.stats.numChunks,
    )
  })

  it('reads far less than the index for a one-series query: ranged GETs only', async () => {
    const indexSize = (await stat(path.join(dir, compacted.ulid, 'index'))).size
    const chunksSize = (await stat(path.join(dir, compacted.ulid, 'chunks', '000001'))).size
    bucket.reset()
    const r = await BlockReader.open(bucket, compacted.ulid)
    const open = bucket.total((k) => k.endsWith('/index'))
    assert.equal(bucket.total().getCalls, 1, 'only meta.json is read whole')
    assert.equal(open.getRangeCalls, 4, 'open: header, TOC, symbols, postings offset table')
    const header = r.index.toc.series - r.index.toc.symbols + (indexSize - r.index.toc.postingsTable)
    assert.ok(open.getRangeBytes <= header + 64, `open reads the index-header sections only (${open.getRangeBytes} of ${indexSize})`)

    const report: string[] = []
    // The second selection also reads the 30000-entry list of __name__="sparse" (120 KB), and,
    // as Thanos, the gap up to the id list in the same GET (gaps up to 512 KiB are merged).
    const selections: [Matcher[], number][] = [
      [[new Matcher(MatchType.EQ, 'id', 's01234')], 20],
      [[new Matcher(MatchType.EQ, '__name__', 'sparse'), new Matcher(MatchType.EQ, 'id', 's01234')], 4],
    ]
    for (const [sel, fraction] of selections) {
      bucket.reset()
      const got = await collect(r.series(sel, r.meta.minTime, r.meta.maxTime))
      assert.equal(got.length, 1)
      assert.equal(goLabelsString(got[0]!.labels), '{__name__="sparse", group="g34", id="s01234", shard="2"}')
      const idx = bucket.total((k) => k.endsWith('/index'))
      const chk = bucket.total((k) => k.includes('/chunks/'))
      assert.ok(idx.getRangeBytes < indexSize / fraction, `index bytes ${idx.getRangeBytes} vs index ${indexSize}`)
      assert.ok(chk.getRangeBytes < 20_000, `chunk bytes ${chk.getRangeBytes}`)
      assert.ok(idx.getRangeCalls <= 3, `index GETs ${idx.getRangeCalls}`)
      report.push(`${sel.map(String).join(',')}: index ${idx.getRangeBytes} B in ${idx.getRangeCalls} GETs, chunks ${chk.getRangeBytes} B in ${chk.getRangeCalls} GETs`)
    }
    console.log(`      index ${indexSize} B (index-header ${open.getRangeBytes} B read at open), chunks ${chunksSize} B\n      ${report.join('\n      ')}`)

    // A full scan reads the series section once, not once plus an estimate per batch.
    bucket.reset()
    const all = await collect(r.series([new Matcher(MatchType.RE, '__name__', '.+')], r.meta.minTime, r.meta.maxTime, {skipChunks: true}))
    assert.equal(all.length, r.meta.stats.numSeries)
    const scan = bucket.total((k) => k.endsWith('/index'))
    const seriesSection = r.index.toc.labelIndices - r.index.toc.series
    assert.ok(scan.getRangeBytes < seriesSection * 1.1 + 300_000, `full scan index bytes ${scan.getRangeBytes}, series section ${seriesSection}`)
  })
})
